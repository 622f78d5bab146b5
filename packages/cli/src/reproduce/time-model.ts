import { batchCount } from "@mmx/data";
import { formatDuration } from "../progress.js";
import type { StepCosts } from "./step-costs.js";

/**
 * What one run costs on this machine, in CPU-seconds, as a timing probe measured it (see time-probe.ts):
 * a warm training step of the plan's batch, an epoch's end, and the compilation a fresh run pays once
 * (see step-costs.ts); the forward pass over one test example (evaluation, calibration,
 * representations), the FGSM attack of one test example, and the singular values of one class's
 * representations at the run's test-set size.
 */
export interface CostModel extends StepCosts {
  forwardSecondsPerExample: number;
  attackSecondsPerExample: number;
  spectrumSecondsPerClass: number;
}

/** The work of one run, counted from its plan. */
export interface RunWork {
  trainSize: number;
  batch: number;
  epochs: number;
  testSize: number;
  /** Test-set evaluations during training (every `evalEvery` epochs and after the last). */
  evalEvery?: number;
  /** Forward passes over the test set after training, beyond the evaluations (calibration, representations), in test sets. */
  extraTestPasses: number;
  /** Held-out examples the temperature is fitted on (one forward pass each). */
  heldOut: number;
  /** Test examples attacked with FGSM. */
  attacked: number;
  /** Classes whose representations' singular values are computed after training (0: no spectra). */
  spectrumClasses: number;
}

/** Test-set evaluations of a run that evaluates every `evalEvery` epochs and after the last. */
export function evaluationsOf(epochs: number, evalEvery = 1): number {
  return Math.floor(epochs / evalEvery) + (epochs % evalEvery === 0 ? 0 : 1);
}

/** A run's CPU-seconds: compilation, its training steps and epoch ends, its forward passes, its attack, its spectra. */
export function runSeconds(work: RunWork, cost: CostModel): number {
  const steps = work.epochs * batchCount(work.trainSize, work.batch, true);
  const forwards = (evaluationsOf(work.epochs, work.evalEvery) + work.extraTestPasses) * work.testSize + work.heldOut;
  return (
    cost.compileSeconds +
    steps * cost.stepSeconds +
    work.epochs * cost.epochSeconds +
    forwards * cost.forwardSecondsPerExample +
    work.attacked * cost.attackSecondsPerExample +
    work.spectrumClasses * cost.spectrumSecondsPerClass
  );
}

/**
 * The wall time of runs of the given CPU-seconds on `cores` cores, `workers` of them at a time, taken in
 * order as workers free up. Each run uses at most one core; while more runs are active than there are
 * cores they share them evenly (so a third worker on two cores fills the idle core at the end, but slows
 * the others meanwhile).
 */
export function makespan(runs: readonly number[], workers: number, cores: number): number {
  const queue = [...runs];
  const active: number[] = [];
  let time = 0;
  while (queue.length > 0 || active.length > 0) {
    while (active.length < workers && queue.length > 0) active.push(queue.shift()!);
    const rate = Math.min(1, cores / active.length);
    const next = Math.min(...active) / rate;
    time += next;
    for (let i = active.length - 1; i >= 0; i--) {
      active[i]! -= next * rate;
      if (active[i]! <= 1e-9) active.splice(i, 1);
    }
  }
  return time;
}

/** The prediction as printed before a run: the wall time on idle cores, and what it is made of. */
export function predictionLine(p: { runs: number; cpuSeconds: number; wallSeconds: number; workers: number; cores: number; cost: CostModel; noun?: string }): string {
  const c = p.cost;
  const noun = p.noun ?? "run";
  const each = p.runs > 1 ? `, about ${Math.round(p.cpuSeconds / p.runs)} CPU-seconds per ${noun} on average` : "";
  return (
    `predicted running time: ${formatDuration(p.wallSeconds)} on ${p.cores} idle core${p.cores === 1 ? "" : "s"} (${p.runs} ${noun}${p.runs === 1 ? "" : "s"}, ${p.workers} at a time${each}, ${Math.round(p.cpuSeconds)} CPU-seconds in all; ` +
    `measured here by a timing probe: ${(1000 * c.stepSeconds).toFixed(0)} ms per training step, ${(1000 * c.epochSeconds).toFixed(0)} ms at each epoch's end, ${(1e6 * c.forwardSecondsPerExample).toFixed(0)} µs per test example evaluated, ${(1e6 * c.attackSecondsPerExample).toFixed(0)} µs per example attacked, ${c.spectrumSecondsPerClass.toFixed(2)} s per class spectrum, ${c.compileSeconds.toFixed(1)} s of compilation per run); longer on a machine busy with other work`
  );
}

/** The running-time line after a run: the prediction beside what it took, and how busy the machine was. */
export function runningTimeLine(p: { predictedSeconds?: number; wallSeconds: number; cpuSeconds: number; load: readonly [number, number] }): string {
  const predicted = p.predictedSeconds === undefined ? "" : `predicted ${formatDuration(p.predictedSeconds)} on idle cores, `;
  return `running time: ${predicted}measured ${formatDuration(p.wallSeconds)} (${Math.round(p.cpuSeconds)} CPU-seconds of this process; 1-minute load average ${p.load[0].toFixed(1)} at the start, ${p.load[1].toFixed(1)} at the end)`;
}

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dispose, np } from "@mmx/core";
import { classSpectra } from "@mmx/metrics";
import * as nn from "@mmx/nn";
import { attackAccuracy } from "../analysis.js";
import { loadData } from "../datasets.js";
import { evaluate } from "../evaluate.js";
import { train } from "../train.js";
import { dataConfig, planClasses, runConfig } from "./pipeline.js";
import type { DatasetPlan, Preset } from "./presets.js";
import { stepCosts } from "./step-costs.js";
import type { CostModel } from "./time-model.js";

/** CPU-seconds of this process so far (every thread: onnxruntime's intra-op threads too). */
export const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Batches per probe epoch, and test examples the probe evaluates and attacks: a few seconds of CPU in all. */
const PROBE_BATCHES = 5;
const PROBE_TEST = 1000;
/** Probe epochs: the first compiles, the next warm the thread up (tens of steps), the last PROBE_TIMED_EPOCHS are timed. */
const PROBE_EPOCHS = 16;
const PROBE_TIMED_EPOCHS = 4;

/**
 * Measures what a run of `plan` costs here, on the backend already chosen (and with the intra-op
 * threads already set), by training it for PROBE_EPOCHS short epochs on a few batches into a temporary
 * folder, reading the CPU clock after every step (see `stepCosts`: the warm step, an epoch's end, the
 * compilation); then it evaluates and attacks a slice of the test set, twice each, timing the second
 * (compiled) pass, and times the singular values of one class's representations at the plan's
 * class size. Only the measurements are kept. The step timed is the last compared method's (manifold
 * mixup in the paper's order).
 */
export async function probeCosts(plan: DatasetPlan, methods: Preset["methods"], backend: string): Promise<CostModel> {
  const probePlan: DatasetPlan = { ...plan, trainSize: Math.min(plan.trainSize, PROBE_BATCHES * plan.batch), testSize: Math.min(plan.testSize, PROBE_TEST), epochs: PROBE_EPOCHS };
  const data = await loadData(dataConfig(probePlan));
  const steps = Math.floor(probePlan.trainSize / plan.batch);
  const out = mkdtempSync(join(tmpdir(), "mmx-time-probe-"));
  const afterStep: number[] = [];
  const start = cpuSeconds();
  const config = runConfig(probePlan, methods[methods.length - 1]!, 0, backend);
  try {
    const result = await train(config, {
      out,
      overwrite: true,
      data,
      evalEvery: probePlan.epochs + 1,
      onStep: () => {
        afterStep.push(cpuSeconds());
      },
    });
    try {
      const training = stepCosts({ start, afterStep: spreadOverCalls(start, afterStep, steps, config.stepsPerCall ?? 1), steps, epochs: PROBE_EPOCHS, timed: PROBE_TIMED_EPOCHS });
      const timed = (f: () => unknown) => {
        f();
        const t0 = cpuSeconds();
        f();
        return cpuSeconds() - t0;
      };
      const count = data.testCount;
      const forward = timed(() => evaluate(result.model, result.params, result.modelState, data.test, result.input));
      const trained = { model: result.model, params: result.params, modelState: result.modelState, input: result.input };
      await attackAccuracy(trained, data.test, { kind: "fgsm", eps: plan.fgsmEps, clip: data.clip });
      const a0 = cpuSeconds();
      await attackAccuracy(trained, data.test, { kind: "fgsm", eps: plan.fgsmEps, clip: data.clip });
      const attack = cpuSeconds() - a0;
      const spectrumSecondsPerClass = timeClassSpectrum(Math.ceil(plan.testSize / planClasses(plan)), spectraWidth(result.model, plan.spectraLayer));
      return { ...training, forwardSecondsPerExample: forward / count, attackSecondsPerExample: attack / count, spectrumSecondsPerClass };
    } finally {
      dispose([result.params, result.modelState]);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/**
 * The clock readings after each step of a run that trains `perCall` steps per program call: a call's steps report
 * together, so each is given an equal share of its call's time, as `train`'s step timer does. The calls are an
 * epoch's groups of `perCall` steps (the last may be shorter), as `train` forms them.
 */
export function spreadOverCalls(start: number, afterStep: readonly number[], steps: number, perCall: number): number[] {
  const out = [...afterStep];
  for (let epochStart = 0; epochStart < afterStep.length; epochStart += steps) {
    for (let first = epochStart; first < epochStart + steps; first += perCall) {
      const size = Math.min(perCall, epochStart + steps - first);
      const from = first === 0 ? start : afterStep[first - 1]!;
      const to = afterStep[first + size - 1]!;
      for (let t = 0; t < size; t++) out[first + t] = from + ((to - from) * (t + 1)) / size;
    }
  }
  return out;
}

/** The width of the representations at the boundary named `layer` (its features per example). */
function spectraWidth(model: nn.Model, layer: string): number {
  const found = nn.boundaries(model, null, model.inputShape).find((b) => b.name === layer);
  if (!found) throw new Error(`time probe: the model has no boundary named '${layer}'`);
  return found.shape.slice(1).reduce((a, b) => a * b, 1);
}

/**
 * CPU-seconds of the singular values of one class of `rows` representations of `width` features.
 * Their cost is set by the matrix's shape, not by what the probe's few batches trained, so the probe
 * decomposes a filled matrix of the run's shape rather than extrapolating from its small test slice.
 */
function timeClassSpectrum(rows: number, width: number): number {
  const values = new Float32Array(rows * width);
  let s = 1;
  for (let i = 0; i < values.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    values[i] = s / 2 ** 32 - 0.5;
  }
  const x = np.array(values, { shape: [rows, width] });
  try {
    const t0 = cpuSeconds();
    classSpectra(x, new Int32Array(rows), { numClasses: 1 });
    return cpuSeconds() - t0;
  } finally {
    x.dispose();
  }
}

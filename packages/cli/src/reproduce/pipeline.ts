import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { dispose, np } from "@mmx/core";
import * as nn from "@mmx/nn";
import { attackAccuracy, features, spectraAt, type Trained } from "../analysis.js";
import { setRunThreads, useBackend } from "../backends.js";
import { resolveLayers, type TrainConfig } from "../config.js";
import { UsageError } from "../errors.js";
import { planKey, planTitle } from "./method-plans.js";
import { loadData, type DataConfig, type LoadedData } from "../datasets.js";
import { evalForward } from "../evaluate.js";
import { CALIBRATION_EXAMPLES, calibrateTrained, type CalibratedMetrics } from "../calibrate-run.js";
import { buildModel } from "../models.js";
import { formatDuration, type Progress, type ProgressSink, type ProgressState } from "../progress.js";
import type { EpochRecord } from "../run-files.js";
import { train } from "../train.js";
import type { DatasetPlan, Preset } from "./presets.js";
import { runSeedGroups } from "./seed-groups.js";
import { batchCount } from "@mmx/data";

/** What one trained run contributes to the demo's table and plots. */
export interface RunOutcome {
  dataset: DatasetPlan["dataset"];
  method: TrainConfig["method"];
  /** Tells the compared plans apart (`planKey`): the method, or the method and its eligible set. */
  variant: string;
  /** As tables and plots name it (`planTitle`). */
  label: string;
  alpha: number;
  /** The boundaries it mixed at (indices; [] for no mixup). */
  layers: number[];
  seed: number;
  dir: string;
  /** The last epoch's test metrics (no selection on the test set). */
  final: EpochRecord;
  curve: EpochRecord[];
  fgsm: { eps: number; clean: number; adversarial: number; count: number };
  /** Test NLL and ECE after temperature scaling, T fitted on held-out data (never the test set). */
  calibrated: CalibratedMetrics;
  spectra: { layer: number; layerName: string; largest: number; restSum: number; classes: { label: number; singularValues: number[] }[] };
  trainSeconds: number;
  /** Spirals, first seed: the decision function on a grid and the 2-D bottleneck of the test points. */
  spirals?: {
    grid: { x: number; y: number; p: number }[];
    cell: number;
    points: { x: number; y: number; label: number }[];
    bottleneck: { x: number; y: number; label: number }[];
  };
}

export interface ReproduceOptions {
  preset: Preset;
  out: string;
  backend: string;
  progress?: Progress;
  /**
   * Runs trained at once, each in its own worker thread (the wasm backend uses one core per thread).
   * Results do not depend on it: every run is deterministic. 1 trains in this thread.
   */
  jobs?: number;
  /** Threads each run may use on a backend with its own thread pool (onnx); see `threadsPerRun`. */
  threads?: number;
  /** Train the seeds of each (dataset, method) as one vmapped program, in this thread (see ./seed-groups.ts). */
  vmapSeeds?: boolean;
}

/** The classes of a plan's dataset: the spirals' two arms, Fashion-MNIST's ten kinds of clothing. */
export const planClasses = (plan: DatasetPlan): number => (plan.dataset === "spirals" ? 2 : 10);

/** The training config of one demo run. */
export function runConfig(plan: DatasetPlan, method: Preset["methods"][number], seed: number, backend: string): TrainConfig {
  const { model } = buildModel(plan.model, { name: plan.dataset, exampleShape: plan.dataset === "spirals" ? [2] : [28, 28, 1], classNames: globalThis.Array.from({ length: planClasses(plan) }, String) }, plan.hidden);
  let layers: { layers: number[]; layerNames: string[] };
  try {
    layers = resolveLayers(method.method, method.layers, model);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    const flag = method.layers ? `--eligible-sets {${method.layers.join(",")}}` : `--methods ${method.method}`;
    throw new UsageError(`mmx reproduce: ${flag} on ${plan.dataset} (${plan.model}): ${e.message.replace(/^--layers:? |^--method \w+: /, "")}`);
  }
  return {
    ...dataConfig(plan),
    model: plan.model,
    ...(plan.hidden ? { hidden: plan.hidden } : {}),
    method: method.method,
    alpha: method.alpha,
    ...layers,
    ...method.options,
    loss: plan.loss ?? "bce",
    epochs: plan.epochs,
    batch: plan.batch,
    lr: plan.lr,
    momentum: 0.9,
    nesterov: true,
    weightDecay: 1e-4,
    schedule: plan.schedule,
    milestones: [],
    seed,
    backend,
  };
}

/** Checks every (dataset, method) of a preset against its model before anything trains: an unknown boundary fails at once. */
export function checkPlans(preset: Preset): void {
  for (const plan of preset.plans) for (const method of preset.methods) runConfig(plan, method, 0, "cpu");
}

export function dataConfig(plan: DatasetPlan): DataConfig {
  return plan.dataset === "spirals"
    ? { dataset: "spirals", spiralsTrain: plan.trainSize, spiralsTest: plan.testSize, spiralsNoise: 0.05, dataSeed: 0 }
    : { dataset: plan.dataset, spiralsTrain: 0, spiralsTest: 0, spiralsNoise: 0, dataSeed: 0, trainLimit: plan.trainSize, testLimit: plan.testSize };
}

/** One training run of the demo. */
export interface Job {
  /** Its place in the demo's order (outcomes are returned in this order). */
  index: number;
  plan: DatasetPlan;
  method: Preset["methods"][number];
  seed: number;
  /** The first seed of its dataset and method: the one whose decision function and bottleneck are pictured. */
  pictured: boolean;
}

/**
 * The runs in the order they are started: per dataset, seed by seed, every method of a seed together, so
 * that a demo stopped early (or still running) has compared the methods on its first seeds.
 */
export function planJobs(preset: Preset): Job[] {
  const jobs = preset.plans.flatMap((plan) => preset.seeds.flatMap((seed) => preset.methods.map((method) => ({ plan, method, seed }))));
  return jobs.map((j, index) => ({ ...j, index, pictured: j.seed === preset.seeds[0] }));
}

export const jobLabel = (j: Job, total: number) => `[${j.index + 1}/${total}] ${j.plan.dataset} ${planKey(j.method)} s${j.seed}`;
export const jobSteps = (j: Job) => j.plan.epochs * batchCount(j.plan.trainSize, j.plan.batch, true);

/** Loaded datasets, per thread: every run of a dataset shares one load. */
export const loadedData = new Map<string, LoadedData>();
/** Held-out examples a run's temperature is fitted on: as many as the test set has, up to `mmx eval`'s default. */
export const heldOutSize = (plan: DatasetPlan) => Math.min(plan.testSize, CALIBRATION_EXAMPLES);

/**
 * Trains one run of the demo into `out/<dataset>-<method>-s<seed>` (a run folder that `mmx eval`,
 * `attack` and `spectra` open) and measures it: final test metrics, FGSM accuracy, per-class spectra,
 * and, for a pictured run of the spirals, the decision function and the bottleneck.
 */
export async function runJob(job: Job, ctx: { out: string; backend: string; grid: number; progress?: ProgressSink; label?: string; eta?: (runLeft: number) => number }): Promise<RunOutcome> {
  await useBackend(ctx.backend);
  const { plan, method, seed } = job;
  let data = loadedData.get(plan.dataset);
  if (!data) {
    data = await loadData(dataConfig(plan), (l) => ctx.progress?.log(l));
    loadedData.set(plan.dataset, data);
  }
  const dir = join(ctx.out, `${plan.dataset}-${planKey(method)}-s${seed}`);
  const result = await train(runConfig(plan, method, seed, ctx.backend), {
    out: dir,
    overwrite: true,
    data,
    ...(ctx.label ? { label: ctx.label } : {}),
    ...(ctx.progress ? { progress: ctx.progress } : {}),
    ...(ctx.eta ? { eta: ctx.eta } : {}),
    ...(plan.evalEvery ? { evalEvery: plan.evalEvery } : {}),
  });
  try {
    return await measure(result, plan, method, dir, seed, ctx.grid, job.pictured);
  } finally {
    dispose([result.params, result.modelState]);
  }
}

export const describeOutcome = (o: RunOutcome) =>
  `test error ${(100 * o.final.testError).toFixed(2)}%  NLL ${o.final.testNll.toFixed(3)}  ECE ${(100 * o.final.testEce).toFixed(2)}%  (T = ${o.calibrated.temperature.toFixed(2)}: NLL ${o.calibrated.nll.toFixed(3)}  ECE ${(100 * o.calibrated.ece).toFixed(2)}%)  FGSM ${(100 * o.fgsm.adversarial).toFixed(1)}%`;

const workerScript = new URL("./worker.js", import.meta.url);

/** How many runs `runAll` trains at once: `jobs`, at most one per run, and 1 where no compiled worker script exists (under vitest). */
export function workerCount(preset: Preset, jobs: number): number {
  const wanted = Math.max(1, Math.min(jobs, planJobs(preset).length));
  return wanted > 1 && existsSync(fileURLToPath(workerScript)) ? wanted : 1;
}

/** Runs every job of the preset, in this thread or in `jobs` worker threads; outcomes in job order. */
export async function runAll(opts: ReproduceOptions): Promise<RunOutcome[]> {
  const jobs = planJobs(opts.preset);
  if (opts.vmapSeeds) return runSeedGroups(jobs, opts);
  const wanted = Math.max(1, Math.min(opts.jobs ?? 1, jobs.length));
  const count = workerCount(opts.preset, wanted);
  if (count > 1) return runInWorkers(jobs, opts, count, workerScript);
  if (wanted > 1) opts.progress?.log(`(running one job at a time: no compiled worker next to ${fileURLToPath(import.meta.url)}; build the package to run ${wanted} at once)`);
  if (opts.threads !== undefined) await setRunThreads(opts.backend, opts.threads);
  return runInThread(jobs, opts);
}

async function runInThread(jobs: Job[], opts: ReproduceOptions): Promise<RunOutcome[]> {
  const { progress } = opts;
  const clock = new Clock(jobs, 1);
  const outcomes: RunOutcome[] = [];
  for (const job of jobs) {
    const started = performance.now();
    const outcome = await runJob(job, {
      out: opts.out,
      backend: opts.backend,
      grid: opts.preset.grid,
      label: jobLabel(job, jobs.length),
      ...(progress ? { progress } : {}),
      eta: (runLeft) => {
        clock.observe(job, runLeft, Math.round(jobSteps(job) * (runLeft / Math.max(1e-9, runLeft + (performance.now() - started) / 1000))));
        return clock.eta(new Map([[job.index, runLeft]]));
      },
    });
    const seconds = (performance.now() - started) / 1000;
    clock.finished(job, seconds);
    outcomes.push(outcome);
    progress?.log(`${jobLabel(job, jobs.length)}: ${describeOutcome(outcome)}  (${formatDuration(seconds)}; ${formatDuration(clock.elapsed())} so far)`);
  }
  return outcomes;
}

/** What a worker thread sends back. */
export type WorkerMessage =
  | { type: "progress"; index: number; state: ProgressState }
  | { type: "log"; line: string }
  | { type: "done"; index: number; outcome: RunOutcome }
  | { type: "error"; index: number; message: string };

async function runInWorkers(jobs: Job[], opts: ReproduceOptions, count: number, script: URL): Promise<RunOutcome[]> {
  const { progress } = opts;
  const clock = new Clock(jobs, count);
  const outcomes: RunOutcome[] = new globalThis.Array(jobs.length);
  const running = new Map<number, { state?: ProgressState; started: number }>();
  const queue = [...jobs];
  progress?.log(`training ${count} runs at a time, each in a worker thread`);
  const status = (force = false) => {
    if (!progress) return;
    const left = new Map([...running].map(([i, r]) => [i, r.state?.etaSeconds ?? clock.guess(jobs[i]!)]));
    const parts = [...running].map(([i, r]) => `${jobLabel(jobs[i]!, jobs.length)} ep ${r.state?.epoch ?? 1}/${jobs[i]!.plan.epochs} loss ${r.state && Number.isFinite(r.state.loss) ? r.state.loss.toFixed(3) : "--"}`);
    progress.status(`${parts.join(" | ")}  ETA ${formatDuration(clock.eta(left))}`, force);
  };
  await new Promise<void>((resolve, reject) => {
    let active = 0;
    let failed = false;
    const workers: Worker[] = [];
    // Idle workers are terminated together once none runs a job: terminating two threads while a third
    // was still measuring on onnxruntime once aborted the whole process (a native exception, Napi::Error).
    const idle = new Set<Worker>();
    const startWorker = () => {
      const w = new Worker(script, { workerData: { out: opts.out, backend: opts.backend, grid: opts.preset.grid, threads: opts.threads } });
      workers.push(w);
      active++;
      const next = () => {
        const job = queue.shift();
        if (!job) {
          idle.add(w);
          if (idle.size === workers.length) for (const x of workers) void x.terminate();
          return;
        }
        running.set(job.index, { started: performance.now() });
        w.postMessage(job);
      };
      w.on("message", (m: WorkerMessage) => {
        if (m.type === "progress") {
          const r = running.get(m.index);
          if (r) r.state = m.state;
          const job = jobs[m.index]!;
          clock.observe(job, m.state.etaSeconds, (job.plan.epochs - m.state.epoch) * m.state.steps + (m.state.steps - m.state.step));
          status();
        } else if (m.type === "log") {
          progress?.log(m.line);
        } else if (m.type === "done") {
          const job = jobs[m.index]!;
          const seconds = (performance.now() - running.get(m.index)!.started) / 1000;
          running.delete(m.index);
          clock.finished(job, seconds);
          outcomes[m.index] = m.outcome;
          progress?.log(`${jobLabel(job, jobs.length)}: ${describeOutcome(m.outcome)}  (${formatDuration(seconds)}; ${formatDuration(clock.elapsed())} so far)`);
          next();
        } else {
          failed = true;
          queue.length = 0;
          reject(new Error(`${jobLabel(jobs[m.index]!, jobs.length)} failed: ${m.message}`));
          void w.terminate();
        }
      });
      w.on("error", (e) => {
        failed = true;
        queue.length = 0;
        reject(e);
      });
      w.on("exit", () => {
        active--;
        if (active === 0 && !failed) resolve();
      });
      next();
    };
    for (let i = 0; i < count; i++) startWorker();
  });
  progress?.done();
  return outcomes;
}

/**
 * The demo's clock: seconds per training step measured per dataset as runs finish (evaluation and
 * measurement included), and from them the time left for the queued runs, shared over the workers.
 */
class Clock {
  private readonly started = performance.now();
  private readonly costPerStep = new Map<string, number>();
  /** Per-step costs of runs still in progress, from their own estimates: used until one finishes. */
  private readonly provisional = new Map<string, number>();
  private readonly pending: Set<number>;
  constructor(
    private readonly jobs: readonly Job[],
    private readonly workers: number,
  ) {
    this.pending = new Set(jobs.map((j) => j.index));
  }
  elapsed(): number {
    return (performance.now() - this.started) / 1000;
  }
  finished(job: Job, seconds: number): void {
    this.pending.delete(job.index);
    const perStep = seconds / jobSteps(job);
    const before = this.costPerStep.get(job.plan.dataset);
    this.costPerStep.set(job.plan.dataset, before === undefined ? perStep : 0.5 * (before + perStep));
  }
  /** A running run's own estimate of its seconds left, as a cost per step of its dataset. */
  observe(job: Job, secondsLeft: number, stepsLeft: number): void {
    if (stepsLeft > 0 && Number.isFinite(secondsLeft)) this.provisional.set(job.plan.dataset, secondsLeft / stepsLeft);
  }
  /**
   * A run's expected seconds: from its dataset's finished runs, else from its running ones, else from
   * the other dataset's cost (a Fashion-MNIST step costs about 4 spirals steps, measured).
   */
  guess(job: Job): number {
    const known = this.costPerStep.get(job.plan.dataset) ?? this.provisional.get(job.plan.dataset);
    if (known !== undefined) return known * jobSteps(job);
    const other = [...this.costPerStep.entries(), ...this.provisional.entries()][0];
    if (!other) return NaN;
    return other[1] * jobSteps(job) * (job.plan.dataset === "spirals" ? 0.25 : 4);
  }
  /** Seconds left: the running runs' own estimates, plus the queued runs shared over the workers. */
  eta(runningLeft: ReadonlyMap<number, number>): number {
    let queued = 0;
    for (const i of this.pending) if (!runningLeft.has(i)) queued += this.guess(this.jobs[i]!);
    const runs = [...runningLeft.values()];
    if (runs.length === 0) return queued / this.workers;
    // The queued work starts as workers free up; a fair share is (sum of all left) / workers.
    return Math.max(...runs, (runs.reduce((a, b) => a + b, 0) + queued) / this.workers);
  }
}

export async function measure(result: Awaited<ReturnType<typeof train>>, plan: DatasetPlan, method: Preset["methods"][number], dir: string, seed: number, grid: number, pictured: boolean): Promise<RunOutcome> {
  const t: Trained = { model: result.model, params: result.params, modelState: result.modelState, input: result.input };
  const data = result.data;
  const attacked = await attackAccuracy(t, data.test, { kind: "fgsm", eps: plan.fgsmEps, clip: data.clip });
  const all = nn.boundaries(result.model, null, result.model.inputShape);
  const layer = all.find((b) => b.name === plan.spectraLayer);
  if (!layer) throw new Error(`reproduce: ${plan.model} has no boundary named '${plan.spectraLayer}'`);
  const s = spectraAt(t, data.test, layer.index, data.classNames.length);
  const final = result.metrics[result.metrics.length - 1]!;
  const calibrated = await calibrateRun(t, plan, data);
  return {
    dataset: plan.dataset,
    method: result.config.method,
    variant: planKey(method),
    label: planTitle(method),
    alpha: result.config.alpha,
    layers: result.config.layers,
    seed,
    dir,
    final,
    curve: result.metrics,
    fgsm: { eps: plan.fgsmEps, clean: attacked.clean, adversarial: attacked.adversarial, count: attacked.count },
    calibrated,
    spectra: { layer: layer.index, layerName: layer.name, largest: s.mean.largest, restSum: s.mean.restSum, classes: s.classes.map((c) => ({ label: c.label, singularValues: c.singularValues.slice(0, 32) })) },
    trainSeconds: result.trainSeconds,
    ...(plan.dataset === "spirals" && pictured ? { spirals: spiralsPictures(t, data, grid, all.find((b) => b.name === "bottleneck")!.index) } : {}),
  };
}

/** Temperature scaling of a trained run: T fitted on its dataset's held-out examples, the test NLL and ECE after. */
async function calibrateRun(t: Trained, plan: DatasetPlan, data: LoadedData): Promise<RunOutcome["calibrated"]> {
  const found = await calibrateTrained(t, dataConfig(plan), data.test, heldOutSize(plan));
  // The demo's image plans train on a prefix of the training split, so examples are always held back.
  if ("missing" in found) throw new Error(`reproduce: ${found.missing}`);
  return found;
}

/** The decision function p(arm 1 | x) on a grid over the plane, the test points, and their 2-D bottleneck codes. */
function spiralsPictures(t: Trained, data: LoadedData, cells: number, bottleneck: number): NonNullable<RunOutcome["spirals"]> {
  const lo = -1.3;
  const cell = 2.6 / cells;
  const coords = new Float32Array(cells * cells * 2);
  for (let i = 0; i < cells; i++) {
    for (let j = 0; j < cells; j++) {
      coords[2 * (i * cells + j)] = lo + (j + 0.5) * cell;
      coords[2 * (i * cells + j) + 1] = lo + (i + 0.5) * cell;
    }
  }
  const x = np.array(coords, { shape: [cells * cells, 2] });
  const logits = evalForward(t.model)(t.params, t.modelState, x);
  const probs = np.softmax(logits, -1);
  const p = probs.dataSync();
  dispose([x, logits, probs]);
  const grid = globalThis.Array.from({ length: cells * cells }, (_, k) => ({ x: coords[2 * k]!, y: coords[2 * k + 1]!, p: p[2 * k + 1]! }));
  const test = data.test as { x: { data: Float32Array }; y: { data: Int32Array } };
  const shown = Math.min(600, test.y.data.length);
  const points = globalThis.Array.from({ length: shown }, (_, k) => ({ x: test.x.data[2 * k]!, y: test.x.data[2 * k + 1]!, label: test.y.data[k]! }));
  const f = features(t, data.test, bottleneck);
  const codes = globalThis.Array.from({ length: shown }, (_, k) => ({ x: f.values[2 * k]!, y: f.values[2 * k + 1]!, label: f.labels[k]! }));
  return { grid, cell, points, bottleneck: codes };
}

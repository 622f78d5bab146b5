/**
 * The benchmark's training steps, the same in a page and in Node: an MLP and the small CNN, each a manifold-mixup
 * SGD step (trainStep: forward on the mixed batch, backward, update, one program per eligible layer), timed through
 * `callAsync` and a read of the loss, so that every backend finishes its work inside the timing.
 */
import { np, tree, type Array } from "@mmx/core";
import { softCrossEntropy } from "@mmx/losses";
import { manifoldMixup, trainStep } from "@mmx/mixup";
import * as nn from "@mmx/nn";
import { sgd } from "@mmx/optim";
import { foldIn, key, normalValues } from "@mmx/random";

export interface BenchSizes {
  /** MLP layer sizes, input first (default 784-512-512-10). */
  readonly mlp: readonly number[];
  readonly mlpBatch: number;
  readonly cnnBatch: number;
  readonly warmup: number;
  readonly steps: number;
  /** When > 0, each model also runs as `step.scan` of this many steps per program run, timed per step. */
  readonly scan: number;
}

/**
 * Ten warm-up steps by default: onnxruntime-web's wasm runs on V8's baseline code until its kernels have run hot
 * enough to be optimised, several runs of each program (see bench/README.md, "In the browser").
 */
export const DEFAULT_SIZES: BenchSizes = { mlp: [784, 512, 512, 10], mlpBatch: 128, cnnBatch: 64, warmup: 10, steps: 10, scan: 0 };

export interface StepTime {
  readonly workload: string;
  /** Median milliseconds per step over the timed steps. */
  readonly ms: number;
  readonly steps: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** A workload ready to step on the current backend: `step()` runs one timed step (ms); `dispose()` frees its arrays. */
export interface PreparedWorkload {
  readonly name: string;
  /** The warm-up steps' times (ms), first first. */
  readonly warmupMs: readonly number[];
  /** Training steps per `step()` call (a scan's length; 1 step by step): `step()` gives ms per training step. */
  readonly stepsPerCall: number;
  step(): Promise<number>;
  dispose(): void;
}

/**
 * Builds the step and its state, and warms it up: `sizes.warmup` steps, and on until every eligible layer's program
 * has been compiled (at most 50 steps).
 */
async function prepareModel(name: string, model: nn.Model, inputShape: readonly number[], classes: number, sizes: BenchSizes): Promise<PreparedWorkload> {
  const batch = inputShape[0]!;
  const step = trainStep({ model, loss: softCrossEntropy, optimizer: sgd({ lr: 0.01, momentum: 0.9 }), policy: manifoldMixup({ alpha: 2, layers: model.paperBoundaries }), donate: true });
  const size = inputShape.reduce((a, b) => a * b, 1);
  const x = np.array(normalValues(key(1), [size]), { shape: inputShape as number[] });
  const y = np.array(globalThis.Array.from({ length: batch }, (_, i) => i % classes), { dtype: "int32" });
  let state = step.init(model.init(key(0), [-1, ...inputShape.slice(1)]).params);
  let i = 0;
  const run = async () => {
    const t0 = performance.now();
    const r = await step.callAsync(state, x, y, foldIn(key(2), i++));
    await r.loss.data();
    r.loss.dispose();
    state = r.state;
    return performance.now() - t0;
  };
  const warmupMs: number[] = [];
  while (i < sizes.warmup || (step.programs < model.paperBoundaries.length && i < 50)) warmupMs.push(await run());
  return {
    name,
    warmupMs,
    stepsPerCall: 1,
    step: run,
    dispose: () => {
      for (const a of [...tree.leaves([state.params, state.opt]), x, y] as Array[]) a.dispose();
    },
  };
}

/**
 * The same training steps as `step.scan` runs them, `sizes.scan` steps per program run (the layer drawn per step
 * inside the program): `step()` runs one scan and gives the time per training step. Warm-up runs scans until
 * `sizes.warmup` steps have run, and at least two scans.
 */
async function prepareScanned(name: string, model: nn.Model, inputShape: readonly number[], classes: number, sizes: BenchSizes): Promise<PreparedWorkload> {
  const batch = inputShape[0]!;
  const steps = sizes.scan;
  const step = trainStep({ model, loss: softCrossEntropy, optimizer: sgd({ lr: 0.01, momentum: 0.9 }), policy: manifoldMixup({ alpha: 2, layers: model.paperBoundaries }), donate: true });
  const size = inputShape.reduce((a, b) => a * b, 1);
  const xs = np.array(normalValues(key(1), [steps * size]), { shape: [steps, ...inputShape] });
  const ys = np.array(globalThis.Array.from({ length: steps * batch }, (_, i) => i % classes), { dtype: "int32", shape: [steps, batch] });
  let state = step.init(model.init(key(0), [-1, ...inputShape.slice(1)]).params);
  let i = 0;
  const run = async () => {
    const t0 = performance.now();
    const r = await step.scanAsync(state, xs, ys, globalThis.Array.from({ length: steps }, () => foldIn(key(2), i++)));
    await r.losses.data();
    r.losses.dispose();
    state = r.state;
    return (performance.now() - t0) / steps;
  };
  const warmupMs: number[] = [];
  while (i < sizes.warmup || warmupMs.length < 2) warmupMs.push(await run());
  return {
    name,
    warmupMs,
    stepsPerCall: steps,
    step: run,
    dispose: () => {
      for (const a of [...tree.leaves([state.params, state.opt]), xs, ys] as Array[]) a.dispose();
    },
  };
}

/**
 * The workloads of `sizes` (the MLP, then the small CNN unless `cnnBatch` is 0; with `scan`, each also scanned),
 * prepared one at a time.
 */
export function workloadBuilders(sizes: BenchSizes): { name: string; prepare: () => Promise<PreparedWorkload> }[] {
  const models = [{ name: `MLP ${sizes.mlp.join("-")} b${sizes.mlpBatch}`, model: () => nn.mlp(sizes.mlp), input: [sizes.mlpBatch, sizes.mlp[0]!], classes: sizes.mlp[sizes.mlp.length - 1]! }];
  if (sizes.cnnBatch > 0) models.push({ name: `smallCnn b${sizes.cnnBatch}`, model: () => nn.smallCnn(), input: [sizes.cnnBatch, 28, 28, 1], classes: 10 });
  return models.flatMap((m) => [
    { name: m.name, prepare: () => prepareModel(m.name, m.model(), m.input, m.classes, sizes) },
    ...(sizes.scan > 0 ? [{ name: `${m.name}, step.scan of ${sizes.scan}`, prepare: () => prepareScanned(`${m.name}, step.scan of ${sizes.scan}`, m.model(), m.input, m.classes, sizes) }] : []),
  ]);
}

async function timeModel(prepare: () => Promise<PreparedWorkload>, sizes: BenchSizes): Promise<StepTime> {
  const w = await prepare();
  const times: number[] = [];
  for (let t = 0; t < sizes.steps; t++) times.push(await w.step());
  w.dispose();
  return { workload: w.name, ms: median(times), steps: times.length };
}

/** Both workloads on the current backend; `onTime` hears each as it is measured. */
export async function benchWorkloads(sizes: BenchSizes, onTime: (t: StepTime) => void = () => {}): Promise<StepTime[]> {
  const out: StepTime[] = [];
  for (const w of workloadBuilders(sizes)) {
    const t = await timeModel(w.prepare, sizes);
    onTime(t);
    out.push(t);
  }
  return out;
}

/** Sizes from `key=value` pairs (a page's query string, or the bench script's flags). */
export function parseSizes(get: (name: string) => string | null): BenchSizes {
  const num = (name: keyof BenchSizes, fallback: number) => {
    const v = get(name);
    return v === null ? fallback : Number(v);
  };
  const mlp = get("mlp");
  return {
    mlp: mlp ? mlp.split(",").map(Number) : DEFAULT_SIZES.mlp,
    mlpBatch: num("mlpBatch", DEFAULT_SIZES.mlpBatch),
    cnnBatch: num("cnnBatch", DEFAULT_SIZES.cnnBatch),
    warmup: num("warmup", DEFAULT_SIZES.warmup),
    steps: num("steps", DEFAULT_SIZES.steps),
    scan: num("scan", DEFAULT_SIZES.scan),
  };
}

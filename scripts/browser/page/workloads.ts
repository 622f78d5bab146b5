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
}

export const DEFAULT_SIZES: BenchSizes = { mlp: [784, 512, 512, 10], mlpBatch: 128, cnnBatch: 64, warmup: 3, steps: 10 };

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

async function timeModel(name: string, model: nn.Model, inputShape: readonly number[], classes: number, sizes: BenchSizes): Promise<StepTime> {
  const batch = inputShape[0]!;
  const step = trainStep({ model, loss: softCrossEntropy, optimizer: sgd({ lr: 0.01, momentum: 0.9 }), policy: manifoldMixup({ alpha: 2, layers: model.paperBoundaries }), donate: true });
  const size = inputShape.reduce((a, b) => a * b, 1);
  const x = np.array(normalValues(key(1), [size]), { shape: inputShape as number[] });
  const y = np.array(globalThis.Array.from({ length: batch }, (_, i) => i % classes), { dtype: "int32" });
  let state = step.init(model.init(key(0), [-1, ...inputShape.slice(1)]).params);
  const run = async (i: number) => {
    const t0 = performance.now();
    const r = await step.callAsync(state, x, y, foldIn(key(2), i));
    await r.loss.data();
    r.loss.dispose();
    state = r.state;
    return performance.now() - t0;
  };
  // Warm-up compiles one program per eligible layer the policy draws: go on until each has been (at most 50 steps).
  let i = 0;
  while (i < sizes.warmup || (step.programs < model.paperBoundaries.length && i < 50)) await run(i++);
  const times: number[] = [];
  for (let t = 0; t < sizes.steps; t++) times.push(await run(i++));
  for (const a of [...tree.leaves([state.params, state.opt]), x, y] as Array[]) a.dispose();
  return { workload: name, ms: median(times), steps: times.length };
}

/** Both workloads on the current backend; `onTime` hears each as it is measured. */
export async function benchWorkloads(sizes: BenchSizes, onTime: (t: StepTime) => void = () => {}): Promise<StepTime[]> {
  const mlp = nn.mlp(sizes.mlp);
  const mlpName = `MLP ${sizes.mlp.join("-")} b${sizes.mlpBatch}`;
  const out = [await timeModel(mlpName, mlp, [sizes.mlpBatch, sizes.mlp[0]!], sizes.mlp[sizes.mlp.length - 1]!, sizes)];
  onTime(out[0]!);
  if (sizes.cnnBatch > 0) {
    out.push(await timeModel(`smallCnn b${sizes.cnnBatch}`, nn.smallCnn(), [sizes.cnnBatch, 28, 28, 1], 10, sizes));
    onTime(out[1]!);
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
  };
}

import * as tf from "@tensorflow/tfjs";
import { grad, jit, np, tree, type Array as MxArray } from "@mmx/core";
import { timeSteps, type Timing } from "./timing.js";

/**
 * The core benchmark: one SGD step (forward, backward, update) of an MLP 784-512-512-10 on a batch of
 * 128, as mmx `jit(grad)` and as the same model hand-written in tfjs with `variableGrads` and an
 * optimizer. Both use softmax cross-entropy on one-hot labels and plain SGD (lr 0.1).
 */
export const MLP_SIZES = [784, 512, 512, 10];
export const MLP_BATCH = 128;
const LR = 0.1;

/** Multiply-adds ×2 of the forward pass, plus both backward matmuls of every layer but the first's input gradient. */
export function mlpStepFlops(sizes = MLP_SIZES, batch = MLP_BATCH): number {
  let flops = 0;
  for (let i = 0; i + 1 < sizes.length; i++) {
    const mm = 2 * batch * sizes[i]! * sizes[i + 1]!;
    flops += mm * (i === 0 ? 2 : 3);
  }
  return flops;
}

function hostInit(seed: number) {
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  const layers = MLP_SIZES.slice(1).map((out, i) => {
    const fanIn = MLP_SIZES[i]!;
    const bound = 1 / Math.sqrt(fanIn);
    return { w: Float32Array.from({ length: fanIn * out }, () => rand() * bound), b: Float32Array.from({ length: out }, () => rand() * bound), shape: [fanIn, out] };
  });
  const x = Float32Array.from({ length: MLP_BATCH * 784 }, () => (rand() + 1) / 2);
  const labels = Int32Array.from({ length: MLP_BATCH }, (_, i) => i % 10);
  return { layers, x, labels };
}

type Layer = { w: MxArray; b: MxArray };

function mmxLoss(params: Layer[], x: MxArray, y: MxArray): MxArray {
  let h = x;
  params.forEach((p, i) => {
    h = np.add(np.matmul(h, p.w), p.b);
    if (i < params.length - 1) h = np.maximum(h, 0);
  });
  return np.mean(np.neg(np.sum(np.mul(y, np.logSoftmax(h)), { axis: -1 })));
}

/** The jitted mmx step; returns the step runner and the program's size. */
export function mmxMlpStep() {
  const data = hostInit(1);
  let params: Layer[] = data.layers.map((l) => ({ w: np.array(l.w, { shape: l.shape }), b: np.array(l.b, { shape: [l.shape[1]!] }) }));
  const x = np.array(data.x, { shape: [MLP_BATCH, 784] });
  const y = np.oneHot(np.array(data.labels, { shape: [MLP_BATCH], dtype: "int32" }), 10);
  const step = jit((p: Layer[], xb: MxArray, yb: MxArray) => {
    const g = grad(mmxLoss)(p, xb, yb) as Layer[];
    return tree.map((w: MxArray, gw: MxArray) => np.sub(w, np.mul(gw, LR)), p, g);
  });
  const t0 = performance.now();
  const program = step.lower(params, x, y);
  const traceMs = performance.now() - t0;
  return {
    traceMs,
    equations: program.jaxpr.eqns.length,
    run: () => {
      const next = step(params, x, y);
      tree.leaves(params).forEach((a) => (a as MxArray).dispose());
      params = next;
      // Wait for the step's results, as a training loop reading its loss would.
      (params[0]!.w as MxArray).dataSync();
    },
  };
}

/** The same step hand-written in tfjs: variables, tf.variableGrads, an SGD optimizer. */
export function tfjsMlpStep() {
  const data = hostInit(1);
  const vars = data.layers.map((l) => ({ w: tf.variable(tf.tensor2d(l.w, l.shape as [number, number])), b: tf.variable(tf.tensor1d(l.b)) }));
  const x = tf.tensor2d(data.x, [MLP_BATCH, 784]);
  const y = tf.oneHot(tf.tensor1d(data.labels, "int32"), 10);
  const optimizer = tf.train.sgd(LR);
  const loss = () =>
    tf.tidy(() => {
      let h: tf.Tensor = x;
      vars.forEach((v, i) => {
        h = tf.add(tf.matMul(h, v.w), v.b);
        if (i < vars.length - 1) h = tf.relu(h);
      });
      return tf.losses.softmaxCrossEntropy(y, h) as tf.Scalar;
    });
  return {
    run: () => {
      const { value, grads } = tf.variableGrads(loss);
      optimizer.applyGradients(grads);
      value.dispose();
      tf.dispose(grads);
      vars[0]!.w.dataSync();
    },
  };
}

export interface MlpResult {
  backend: string;
  mmx: Timing;
  tfjs: Timing;
  ratio: number;
  gflopsMmx: number;
  gflopsTfjs: number;
  traceMs: number;
  equations: number;
}

export async function benchMlp(backend: string, opts: { warmup: number; steps: number }): Promise<MlpResult> {
  const mmx = mmxMlpStep();
  const mmxTiming = await timeSteps(mmx.run, opts);
  const peer = tfjsMlpStep();
  const tfjsTiming = await timeSteps(peer.run, opts);
  const flops = mlpStepFlops();
  return {
    backend,
    mmx: mmxTiming,
    tfjs: tfjsTiming,
    ratio: mmxTiming.medianMs / tfjsTiming.medianMs,
    gflopsMmx: flops / mmxTiming.medianMs / 1e6,
    gflopsTfjs: flops / tfjsTiming.medianMs / 1e6,
    traceMs: mmx.traceMs,
    equations: mmx.equations,
  };
}

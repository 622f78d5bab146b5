import { Array, grad, jit, np, type PyTree } from "@mmx/core";

/** Tiny inline models and data for the attack tests (no dependency on @mmx/nn or @mmx/losses). */

export interface MlpParams {
  w1: Array;
  b1: Array;
  w2: Array;
  b2: Array;
}

/** A 2-layer tanh MLP: logits = tanh(x W1 + b1) W2 + b2. */
export const mlp = (p: MlpParams, x: Array): Array => np.add(np.matmul(np.tanh(np.add(np.matmul(x, p.w1), p.b1)), p.w2), p.b2);

/** Mean cross-entropy of int32 labels under softmax(logits). */
export const crossEntropy = (logits: Array, y: Array): Array =>
  np.neg(np.mean(np.sum(np.mul(np.logSoftmax(logits), np.oneHot(y, logits.shape[1]!)), { axis: 1 })));

/** A deterministic host stream of numbers in [0, 1) (mulberry32), independent of the package's sampler. */
export function stream(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomArray(shape: number[], next: () => number, lo = -1, hi = 1): Array {
  const size = shape.reduce((n, d) => n * d, 1);
  return np.array(Float32Array.from({ length: size }, () => lo + (hi - lo) * next()), { shape });
}

export function randomMlp(inputs: number, hidden: number, classes: number, seed: number, scale = 1): MlpParams {
  const next = stream(seed);
  return {
    w1: randomArray([inputs, hidden], next, -scale, scale),
    b1: randomArray([hidden], next, -0.1, 0.1),
    w2: randomArray([hidden, classes], next, -scale, scale),
    b2: randomArray([classes], next, -0.1, 0.1),
  };
}

/**
 * Two classes in [0, 1]^d: class c has mean 0.35 + 0.3c on every coordinate with uniform noise of
 * half-width 0.12, so the classes are linearly separable with a margin an attack of eps ≈ 0.1 crosses.
 */
export function blobs(n: number, d: number, seed: number): { x: Array; y: Array } {
  const next = stream(seed);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
  const values = Float32Array.from({ length: n * d }, (_, k) => 0.35 + 0.3 * labels[Math.floor(k / d)]! + 0.24 * (next() - 0.5));
  return { x: np.array(values, { shape: [n, d] }), y: np.array(labels) };
}

/** Plain SGD on the cross-entropy, each step one jitted program; the old params are freed. */
export function train(params: MlpParams, x: Array, y: Array, steps: number, lr: number): MlpParams {
  const step = jit((p: MlpParams, xs: Array, ys: Array) => {
    const g = grad((q: MlpParams) => crossEntropy(mlp(q, xs), ys))(p) as MlpParams;
    return { w1: np.sub(p.w1, np.mul(g.w1, lr)), b1: np.sub(p.b1, np.mul(g.b1, lr)), w2: np.sub(p.w2, np.mul(g.w2, lr)), b2: np.sub(p.b2, np.mul(g.b2, lr)) };
  });
  let p = params;
  for (let i = 0; i < steps; i++) {
    const nextParams = step(p, x, y) as MlpParams;
    if (p !== params) disposeTree(p);
    p = nextParams;
  }
  step.clearCache();
  return p;
}

export function disposeTree(tree: PyTree): void {
  for (const v of Object.values(tree as Record<string, Array>)) v.dispose();
}

export const values = (a: Array): number[] => [...a.dataSync()];

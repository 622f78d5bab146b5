import fc from "fast-check";
import { np, tag, type Array as MxArray } from "../index.js";

/**
 * Random small programs: fast-check composes primitives into a function of two [m, n] arrays and an
 * [n, n] weight. Shared by the suites that check transforms against each other (jit, grad, jvp, vmap).
 */
export type Step = { op: string; a: number; b: number; axis: number };

export const OPS: Record<string, (a: MxArray, b: MxArray, w: MxArray, axis: number) => MxArray> = {
  tanh: (a) => np.tanh(a),
  sigmoid: (a) => np.sigmoid(a),
  sin: (a) => np.sin(a),
  square: (a) => np.square(a),
  expTanh: (a) => np.exp(np.tanh(a)),
  softplus: (a) => np.log1p(np.exp(np.neg(np.abs(a)))),
  add: (a, b) => np.add(a, b),
  sub: (a, b) => np.sub(a, b),
  mul: (a, b) => np.mul(a, b),
  safeDiv: (a, b) => np.div(a, np.add(1, np.square(b))),
  maximum: (a, b) => np.maximum(a, b),
  relu: (a) => np.relu(a),
  where: (a, b) => np.where(np.greater(a, b), a, np.mul(b, 0.5)),
  sumBack: (a, _b, _w, axis) => np.broadcastTo(np.sum(a, { axis, keepdims: true }), a.shape),
  meanBack: (a, _b, _w, axis) => np.sub(a, np.mean(a, { axis, keepdims: true })),
  softmax: (a, _b, _w, axis) => np.softmax(a, axis),
  logSumExp: (a, _b, _w, axis) => np.broadcastTo(np.logSumExp(a, axis, true), a.shape),
  matmul: (a, _b, w) => np.matmul(a, w),
  transposeTwice: (a) => np.transpose(np.transpose(a)),
  reshapeRound: (a) => np.reshape(np.reshape(a, [-1]), a.shape),
  concatSlice: (a, b, _w, axis) => np.slice(np.concatenate([a, b], axis), axis === 0 ? [a.shape[0]!, 0] : [0, a.shape[1]!], a.shape),
  pad: (a) => np.slice(np.pad(a, [[1, 0], [0, 2]], 0.5), [1, 0], a.shape),
  take: (a) => np.take(a, np.array(Array.from({ length: a.shape[0]! }, (_, i) => (i * 7) % a.shape[0]!), { dtype: "int32" }), 0),
  tag: (a) => tag(a, "block"),
};

export const program = fc.record({
  m: fc.integer({ min: 1, max: 4 }),
  n: fc.integer({ min: 1, max: 4 }),
  steps: fc.array(fc.record({ op: fc.constantFrom(...Object.keys(OPS)), a: fc.nat(), b: fc.nat(), axis: fc.integer({ min: 0, max: 1 }) }), { minLength: 1, maxLength: 8 }),
  seed: fc.integer({ min: 1, max: 1e9 }),
});

export function build(steps: Step[]) {
  return (x: MxArray, y: MxArray, w: MxArray): MxArray => {
    const pool = [x, y];
    for (const s of steps) pool.push(OPS[s.op]!(pool[s.a % pool.length]!, pool[s.b % pool.length]!, w, s.axis));
    return pool[pool.length - 1]!;
  };
}

export function inputs(m: number, n: number, seed: number): [MxArray, MxArray, MxArray] {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  const arr = (shape: number[]) => np.array(Array.from({ length: shape[0]! * shape[1]! }, next), { shape });
  return [arr([m, n]), arr([m, n]), arr([n, n])];
}


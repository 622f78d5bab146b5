import { lax, np, tree, valueAndGrad, type Array } from "../index.js";

/**
 * Scan programs for the tests (core's on every eager backend, onnx's jitted), each with the plain JS loop it
 * must equal. Values come from a seed through sin, so a failing case reproduces from its numbers.
 */

export interface RnnParams {
  w: Array;
  u: Array;
  b: Array;
}

const values = (n: number, seed: number, scale: number) => globalThis.Array.from({ length: n }, (_, i) => scale * Math.sin(seed * 7.31 + i * 1.7));

/** A small recurrent step (an MLP-ish body): h' = tanh(x·W + h·U + b), y = sum(h'²) and h' itself. */
export function rnnStep(p: RnnParams, h: Array, x: Array): [Array, { s: Array; h: Array }] {
  const next = np.tanh(np.add(np.add(np.matmul(x, p.w), np.matmul(h, p.u)), p.b));
  return [next, { s: np.sum(np.square(next)), h: next }];
}

export function rnnInputs(steps: number, m: number, n: number, seed: number): { p: RnnParams; h0: Array; xs: Array } {
  return {
    p: { w: np.array(values(m * n, seed, 0.6), { shape: [m, n] }), u: np.array(values(n * n, seed + 1, 0.5), { shape: [n, n] }), b: np.array(values(n, seed + 2, 0.3)) },
    h0: np.array(values(n, seed + 3, 0.8), { shape: [1, n] }),
    xs: np.array(values(steps * m, seed + 4, 1), { shape: [steps, 1, m] }),
  };
}

/** The recurrence as one scan. */
export function rnnScan(p: RnnParams, h0: Array, xs: Array, reverse = false): [Array, { s: Array; h: Array }] {
  return lax.scan((h: Array, x: Array) => rnnStep(p, h, x), h0, xs, { reverse });
}

/** The same recurrence as a JS loop over the slices of xs. */
export function rnnLoop(p: RnnParams, h0: Array, xs: Array, reverse = false): [Array, { s: Array; h: Array }] {
  const steps = xs.shape[0]!;
  let h = h0;
  const s: Array[] = [];
  const hs: Array[] = [];
  for (let t = 0; t < steps; t++) {
    const i = reverse ? steps - 1 - t : t;
    const [next, y] = rnnStep(p, h, np.squeeze(np.slice(xs, [i, 0, 0], [1, ...xs.shape.slice(1)]), 0));
    h = next;
    s[i] = y.s;
    hs[i] = y.h;
  }
  return [h, { s: np.stack(s), h: np.stack(hs) }];
}

/** A scalar loss of the recurrence's results (both carry and ys feed it). */
export const rnnLoss = (run: typeof rnnScan, reverse: boolean) => (p: RnnParams, h0: Array, xs: Array) => {
  const [h, ys] = run(p, h0, xs, reverse);
  return np.add(np.add(np.sum(np.mul(h, 0.5)), np.sum(ys.s)), np.mean(np.square(ys.h)));
};

// ---------------------------------------------------------------------------------------------------------
// A training epoch as one program: SGD steps of a two-layer regression net over a stacked batch array.

export interface NetParams {
  w1: Array;
  b1: Array;
  w2: Array;
  b2: Array;
}

export function netInputs(steps: number, batch: number, seed: number): { p: NetParams; xb: Array; yb: Array } {
  const [d, hidden] = [3, 5];
  return {
    p: {
      w1: np.array(values(d * hidden, seed, 0.5), { shape: [d, hidden] }),
      b1: np.zeros([hidden]),
      w2: np.array(values(hidden, seed + 1, 0.5), { shape: [hidden, 1] }),
      b2: np.zeros([1]),
    },
    xb: np.array(values(steps * batch * d, seed + 2, 1), { shape: [steps, batch, d] }),
    yb: np.array(values(steps * batch, seed + 3, 1), { shape: [steps, batch, 1] }),
  };
}

export const netLoss = (p: NetParams, x: Array, y: Array): Array => {
  const h = np.relu(np.add(np.matmul(x, p.w1), p.b1));
  return np.mean(np.square(np.sub(np.add(np.matmul(h, p.w2), p.b2), y)));
};

/** One SGD step of the net on one batch, returning its loss: the body of an epoch's scan. */
export const netSgdStep =
  (lr: number) =>
  (q: NetParams, batch: { x: Array; y: Array }): [NetParams, Array] => {
    const [loss, g] = valueAndGrad(netLoss)(q, batch.x, batch.y);
    return [tree.map((w: Array, gw: Array) => np.sub(w, np.mul(gw, lr)), q, g), loss];
  };

/** The epoch as a JS loop of `step` (plain or jitted) over the batch arrays' slices: the trained params and the losses, stacked. */
export function netEpochLoop(step: ReturnType<typeof netSgdStep>, p: NetParams, xb: Array, yb: Array): [NetParams, Array] {
  const slice = (b: Array, i: number) => np.squeeze(np.slice(b, [i, 0, 0], [1, ...b.shape.slice(1)]), 0);
  let q = p;
  const losses: Array[] = [];
  for (let i = 0; i < xb.shape[0]!; i++) {
    const [next, loss] = step(q, { x: slice(xb, i), y: slice(yb, i) });
    q = next;
    losses.push(loss);
  }
  return [q, np.stack(losses)];
}

import { Array, Literal, type Operand } from "./array.js";
import * as np from "./np.js";
import type { Params, Primitive, RuleTable } from "./primitives.js";
import { convBatchRule, convFilterGradBatchRule, convTransposeBatchRule, foldIntoN, unfoldN } from "./conv-batching.js";
import { bind } from "./trace.js";

/**
 * Batching rules for vmap. A batched value carries its batch axis first ([B, ...per-example shape]);
 * an unbatched one is the per-example value itself, shared by every example. A rule is called when at
 * least one operand is batched and returns the batched result (batch axis first). Rules bind
 * primitives, so vmap composes with grad, jvp and jit.
 */
export type BatchRule<P extends Primitive> = (operands: readonly Operand[], batched: readonly boolean[], params: Params<P>, size: number) => Array;

/** A batched operand with size-1 axes after the batch axis, so that it broadcasts against per-example ranks. */
function alignRank(x: Operand, batched: boolean, rank: number): Operand {
  if (!batched) return x;
  const a = x as Array;
  const missing = rank - (a.ndim - 1);
  return missing <= 0 ? a : np.reshape(a, [a.shape[0]!, ...globalThis.Array<number>(missing).fill(1), ...a.shape.slice(1)]);
}

/** The per-example rank of an operand. */
const exampleRank = (x: Operand, batched: boolean) => (x instanceof Literal ? 0 : x.ndim - (batched ? 1 : 0));

/** Elementwise primitives (numpy broadcasting): batched operands get their ranks aligned to the output's. */
const elementwise =
  <P extends Primitive>(p: P): BatchRule<P> =>
  (ops, batched, params) => {
    const rank = Math.max(...ops.map((o, i) => exampleRank(o, batched[i]!)));
    return bind(p, ops.map((o, i) => alignRank(o, batched[i]!, rank)), params);
  };

/** An unbatched operand repeated for every example. */
function materialize(x: Operand, batched: boolean, size: number): Array {
  if (batched) return x as Array;
  const a = x instanceof Literal ? np.full([], x.value, x.aval.dtype) : x;
  return np.broadcastTo(np.reshape(a, [1, ...a.shape]), [size, ...a.shape]);
}

/** Moves axis `from` of x to `to`. */
function moveAxis(x: Array, from: number, to: number): Array {
  if (from === to) return x;
  const perm = x.shape.map((_, i) => i).filter((i) => i !== from);
  perm.splice(to, 0, from);
  return np.transpose(x, perm);
}

/** Batched indices [B, ...] into a batch folded into one axis of B·n: example b's indices shift by b·n. */
function offsetIndices(indices: Array, n: number): Array {
  const offsets = np.mul(np.arange(indices.shape[0]!), n);
  return np.add(indices, np.reshape(offsets, [indices.shape[0]!, ...indices.shape.slice(1).map(() => 1)]));
}

/**
 * take with batched x and batched indices as one gather: the batch axis folds into the taken axis
 * (B·n rows there) and each example's indices shift to its own rows.
 */
function foldedTake(x: Array, indices: Array, axis: number, size: number): Array {
  const moved = moveAxis(x, 0, axis);
  const n = moved.shape[axis + 1]!;
  const folded = np.reshape(moved, [...moved.shape.slice(0, axis), size * n, ...moved.shape.slice(axis + 2)]);
  return moveAxis(bind("take", [folded, offsetIndices(indices, n)], { axis }), axis, 0);
}

/** scatter_add with batched updates and indices, its transpose: one scatter into B·size rows, unfolded. */
function foldedScatterAdd(updates: Array, indices: Array, axis: number, size: number, batch: number): Array {
  const moved = moveAxis(updates, 0, axis);
  const out = bind("scatter_add", [moved, offsetIndices(indices, size)], { axis, size: batch * size });
  return moveAxis(np.reshape(out, [...out.shape.slice(0, axis), batch, size, ...out.shape.slice(axis + 1)]), axis, 0);
}

/** A primitive of one batched operand whose axis parameters shift past the batch axis. */
const shifted =
  <P extends Primitive>(p: P, shift: (params: Params<P>, x: Array) => Params<P>): BatchRule<P> =>
  ([x], _b, params) =>
    bind(p, [x!], shift(params, x as Array));

const foldedPool =
  <P extends "avg_pool" | "max_pool">(p: P): BatchRule<P> =>
  ([x], _b, params, size) =>
    unfoldN(bind(p, [foldIntoN(x as Array)], params), size);

export const batchRules: RuleTable<{ [P in Primitive]: BatchRule<P> }> = {
  neg: elementwise("neg"),
  exp: elementwise("exp"),
  log: elementwise("log"),
  log1p: elementwise("log1p"),
  tanh: elementwise("tanh"),
  logistic: elementwise("logistic"),
  sqrt: elementwise("sqrt"),
  rsqrt: elementwise("rsqrt"),
  abs: elementwise("abs"),
  sign: elementwise("sign"),
  erf: elementwise("erf"),
  sin: elementwise("sin"),
  cos: elementwise("cos"),
  relu: elementwise("relu"),
  add: elementwise("add"),
  sub: elementwise("sub"),
  mul: elementwise("mul"),
  div: elementwise("div"),
  pow: elementwise("pow"),
  maximum: elementwise("maximum"),
  minimum: elementwise("minimum"),
  equal: elementwise("equal"),
  less: elementwise("less"),
  greater: elementwise("greater"),
  less_equal: elementwise("less_equal"),
  greater_equal: elementwise("greater_equal"),
  where: elementwise("where"),
  convert_element_type: elementwise("convert_element_type"),
  reduce_sum: shifted("reduce_sum", ({ axes }) => ({ axes: axes.map((a) => a + 1) })),
  reduce_max: shifted("reduce_max", ({ axes }) => ({ axes: axes.map((a) => a + 1) })),
  reduce_min: shifted("reduce_min", ({ axes }) => ({ axes: axes.map((a) => a + 1) })),
  argmax: shifted("argmax", ({ axis }) => ({ axis: axis + 1 })),
  reshape: shifted("reshape", ({ shape }, x) => ({ shape: [x.shape[0]!, ...shape] })),
  transpose: shifted("transpose", ({ perm }) => ({ perm: [0, ...perm.map((p) => p + 1)] })),
  broadcast_to: ([x], _b, { shape }) => np.broadcastTo(alignRank(x!, true, shape.length) as Array, [(x as Array).shape[0]!, ...shape]),
  concatenate: (ops, batched, { axis }, size) =>
    bind(
      "concatenate",
      ops.map((o, i) => materialize(o, batched[i]!, size)),
      { axis: axis + 1 },
    ),
  slice: shifted("slice", ({ begin, size }, x) => ({ begin: [0, ...begin], size: [x.shape[0]!, ...size] })),
  pad: shifted("pad", ({ widths, value }) => ({ widths: [[0, 0], ...widths], value })),
  take: (ops, batched, params, size) => {
    const [x, indices] = ops as [Array, Array];
    if (!batched[1]) return bind("take", [x, indices], { axis: params.axis + 1 });
    if (!batched[0]) {
      // take(x, idx[b]) for every b at once: the batch axis lands where the taken axis was.
      const out = bind("take", [x, indices], params);
      const perm = out.shape.map((_, i) => i);
      perm.splice(params.axis, 1);
      return np.transpose(out, [params.axis, ...perm]);
    }
    return foldedTake(x, indices, params.axis, size);
  },
  scatter_add: (ops, batched, params, size) => {
    if (!batched[1]) return bind("scatter_add", ops, { ...params, axis: params.axis + 1 });
    return foldedScatterAdd(materialize(ops[0]!, batched[0]!, size), ops[1] as Array, params.axis, params.size, size);
  },
  one_hot: ([i], _b, params) => bind("one_hot", [i!], params),
  matmul: (ops, batched, params, size) => {
    const [a, b] = ops as [Array, Array];
    // A batch of rows against shared 2-D weights is one larger matmul: [B·m, k] @ [k, n].
    if (batched[0] && !batched[1] && !params.transposeA && a.ndim === 3) {
      const out = bind("matmul", [np.reshape(a, [a.shape[0]! * a.shape[1]!, a.shape[2]!]), b], params);
      return np.reshape(out, [size, a.shape[1]!, out.shape[1]!]);
    }
    // Shared 2-D inputs against a batch of weights (several models): [m, k] @ [k, B·n].
    if (!batched[0] && batched[1] && !params.transposeB && b.ndim === 3) {
      const [, k, n] = b.shape as [number, number, number];
      const out = bind("matmul", [a, np.reshape(np.transpose(b, [1, 0, 2]), [k, size * n])], params);
      return np.transpose(np.reshape(out, [out.shape[0]!, size, n]), [1, 0, 2]);
    }
    return bind("matmul", [materialize(a, batched[0]!, size), materialize(b, batched[1]!, size)], params);
  },
  conv: convBatchRule,
  conv_transpose: convTransposeBatchRule,
  conv_filter_grad: convFilterGradBatchRule,
  avg_pool: foldedPool("avg_pool"),
  avg_pool_grad: ([ct], _b, params, size) => unfoldN(bind("avg_pool_grad", [foldIntoN(ct as Array)], { ...params, inputShape: [size * params.inputShape[0]!, ...params.inputShape.slice(1)] }), size),
  max_pool: foldedPool("max_pool"),
  max_pool_argmax: ([x], _b, params, size) => {
    // Flat indices count the whole folded batch: take each example's offset off again.
    const X = x as Array;
    const perExampleSize = X.size / size;
    const at = unfoldN(bind("max_pool_argmax", [foldIntoN(X)], params), size);
    const offsets = np.mul(np.arange(size), perExampleSize);
    return np.sub(at, np.reshape(offsets, [size, ...at.shape.slice(1).map(() => 1)]));
  },
  tag: ([x], _b, params) => bind("tag", [x!], params),
  stop_gradient: ([x]) => bind("stop_gradient", [x!], {}),
};

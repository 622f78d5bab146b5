import { Array, Literal, type Operand } from "./array.js";
import type { ShapedArray } from "./aval.js";
import { isFloat } from "./dtype.js";
import * as np from "./np.js";
import type { Params, Primitive, RuleTable } from "./primitives.js";
import { broadcastedAxes } from "./shape.js";
import { bind } from "./trace.js";

/**
 * Reverse-mode rules: given the cotangent of a primitive's output, its operands and its output, the
 * cotangent of each operand (null where there is none: literals, integer operands, zero gradients).
 * An entry may be a thunk, computed only if that operand needs a cotangent (the weight gradient of a
 * matmul whose other operand is data, say). Rules are written with primitives, so they are traced
 * like any other code: `grad(grad(f))` and `jit(grad(f))` need nothing more.
 */
export type Cotangent = Array | null | (() => Array | null);
export type VjpRule<P extends Primitive> = (ct: Array, operands: readonly Operand[], out: Array, params: Params<P>) => Cotangent[];

type Value = Array | number;
/** An operand as np functions take it: literals become plain numbers. */
const val = (o: Operand | undefined): Value => (o instanceof Literal ? o.value : (o as Array));

/** Sums a cotangent of a broadcast result back down to the operand's type. */
export function unbroadcast(ct: Array, operand: Operand): Array | null {
  if (operand instanceof Literal) return null;
  const aval: ShapedArray = operand.aval;
  if (!isFloat(aval.dtype)) return null;
  if (ct.ndim === aval.ndim && ct.shape.every((d, i) => d === aval.shape[i])) return ct;
  const axes = broadcastedAxes(aval.shape, ct.shape);
  return np.reshape(np.sum(ct, { axis: axes }), aval.shape);
}

/** Restores reduced axes as size-1 axes, then broadcasts to the operand's shape. */
export function unreduce(ct: Array, x: Array, axes: readonly number[]): Array {
  if (ct.ndim === 0) return np.broadcastTo(ct, x.shape);
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return np.broadcastTo(np.reshape(ct, kept), x.shape);
}

const linearUnary = (ct: Array): Cotangent[] => [np.neg(ct)];
const none = (_ct: Array, operands: readonly Operand[]): null[] => operands.map(() => null);

/** JAX's convention for max/min: ties share the cotangent equally. */
export function chooserWeights(a: Value, b: Value, pick: "greater" | "less"): Array {
  const wins = pick === "greater" ? np.greater(a, b) : np.less(a, b);
  return np.where(wins, 1, np.where(np.equal(a, b), 0.5, 0));
}

function reduceChooser(ct: Array, [x]: readonly Operand[], out: Array, axes: readonly number[]): (Array | null)[] {
  const xa = x as Array;
  const hits = np.astype(np.equal(xa, unreduce(out, xa, axes)), "float32");
  const counts = np.sum(hits, { axis: [...axes], keepdims: true });
  return [np.div(np.mul(unreduce(ct, xa, axes), hits), counts)];
}

const inversePerm = (perm: readonly number[]) => {
  const inv = new globalThis.Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
};

export const vjpRules: RuleTable<{ [P in Primitive]: VjpRule<P> }> = {
  neg: linearUnary,
  exp: (ct, _o, out) => [np.mul(ct, out)],
  log: (ct, [x]) => [np.div(ct, val(x))],
  log1p: (ct, [x]) => [np.div(ct, np.add(val(x), 1))],
  tanh: (ct, _o, out) => [np.mul(ct, np.sub(1, np.square(out)))],
  logistic: (ct, _o, out) => [np.mul(ct, np.mul(out, np.sub(1, out)))],
  sqrt: (ct, _o, out) => [np.div(np.mul(ct, 0.5), out)],
  rsqrt: (ct, [x], out) => [np.mul(np.mul(ct, -0.5), np.div(out, val(x)))],
  abs: (ct, [x]) => [np.mul(ct, np.sign(val(x)))],
  sign: () => [null],
  erf: (ct, [x]) => [np.mul(np.mul(ct, 2 / Math.sqrt(Math.PI)), np.exp(np.neg(np.square(val(x)))))],
  sin: (ct, [x]) => [np.mul(ct, np.cos(val(x)))],
  cos: (ct, [x]) => [np.neg(np.mul(ct, np.sin(val(x))))],
  // ct · step(y) from the output y (so x need not be kept): ct where y > 0, ct · y = 0 where y = 0, and
  // NaN where y is NaN, as the forward value; executors fuse this form into one multiply by a step.
  relu: (ct, _o, out) => [np.where(np.greater(out, 0), ct, np.mul(ct, out))],
  add: (ct, [a, b]) => [() => unbroadcast(ct, a!), () => unbroadcast(ct, b!)],
  sub: (ct, [a, b]) => [() => unbroadcast(ct, a!), () => unbroadcast(np.neg(ct), b!)],
  mul: (ct, [a, b]) => [() => unbroadcast(np.mul(ct, val(b)), a!), () => unbroadcast(np.mul(ct, val(a)), b!)],
  div: (ct, [a, b], out) => [() => unbroadcast(np.div(ct, val(b)), a!), () => unbroadcast(np.neg(np.div(np.mul(ct, out), val(b))), b!)],
  pow: (ct, [a, b], out) => {
    const da = () => unbroadcast(np.mul(np.mul(ct, val(b)), np.pow(val(a), np.sub(val(b), 1))), a!);
    // d(a^b)/db = log(a) a^b, taken as 0 where a <= 0 (where the real power is not differentiable in b).
    const safeLog = () => np.where(np.greater(val(a), 0), np.log(np.where(np.greater(val(a), 0), val(a), 1)), 0);
    const db = () => unbroadcast(np.mul(np.mul(ct, out), safeLog()), b!);
    return [da, db];
  },
  maximum: (ct, [a, b]) => {
    const w = chooserWeights(val(a), val(b), "greater");
    return [() => unbroadcast(np.mul(ct, w), a!), () => unbroadcast(np.mul(ct, np.sub(1, w)), b!)];
  },
  minimum: (ct, [a, b]) => {
    const w = chooserWeights(val(a), val(b), "less");
    return [() => unbroadcast(np.mul(ct, w), a!), () => unbroadcast(np.mul(ct, np.sub(1, w)), b!)];
  },
  equal: none,
  less: none,
  greater: none,
  less_equal: none,
  greater_equal: none,
  where: (ct, [c, a, b]) => {
    const zero = np.zerosLike(ct);
    return [null, () => unbroadcast(np.where(val(c), ct, zero), a!), () => unbroadcast(np.where(val(c), zero, ct), b!)];
  },
  convert_element_type: (ct, [x], _out, { dtype }) => {
    const from = (x as Array).dtype;
    return [isFloat(from) && isFloat(dtype) ? np.astype(ct, from) : null];
  },
  reduce_sum: (ct, [x], _out, { axes }) => [unreduce(ct, x as Array, axes)],
  reduce_max: (ct, operands, out, { axes }) => reduceChooser(ct, operands, out, axes),
  reduce_min: (ct, operands, out, { axes }) => reduceChooser(ct, operands, out, axes),
  argmax: none,
  reshape: (ct, [x]) => [np.reshape(ct, (x as Array).shape)],
  transpose: (ct, _o, _out, { perm }) => [np.transpose(ct, inversePerm(perm))],
  broadcast_to: (ct, [x]) => [unbroadcast(ct, x!)],
  concatenate: (ct, operands, _out, { axis }) => {
    let offset = 0;
    return operands.map((o) => {
      const x = o as Array;
      const begin = x.shape.map((_, i) => (i === axis ? offset : 0));
      offset += x.shape[axis]!;
      return isFloat(x.dtype) ? np.slice(ct, begin, x.shape) : null;
    });
  },
  slice: (ct, [x], _out, { begin, size }) => {
    const xa = x as Array;
    return [np.pad(ct, xa.shape.map((d, i) => [begin[i]!, d - begin[i]! - size[i]!] as [number, number]))];
  },
  pad: (ct, [x], _out, { widths }) => {
    const xa = x as Array;
    return [np.slice(ct, widths.map(([lo]) => lo), xa.shape)];
  },
  take: (ct, [x, indices], _out, { axis }) => [np.scatterAdd(ct, indices as Array, (x as Array).shape[axis]!, axis), null],
  scatter_add: (ct, [, indices], _out, { axis }) => [np.take(ct, indices as Array, axis), null],
  one_hot: none,
  matmul: (ct, [a, b], _out, { transposeA: tA, transposeB: tB }) => {
    const A = a as Array;
    const B = b as Array;
    const da = () => (tA ? bind("matmul", [B, ct], { transposeA: tB, transposeB: true }) : bind("matmul", [ct, B], { transposeA: false, transposeB: !tB }));
    const db = () => (tB ? bind("matmul", [ct, A], { transposeA: true, transposeB: tA }) : bind("matmul", [A, ct], { transposeA: !tA, transposeB: false }));
    return [da, db];
  },
  // Each adjoint keeps the forward's groups: the input, filter and cotangent channels split alike.
  conv: (ct, [x, w], _out, { strides, padding, dilation, groups }) => {
    const conv = { strides, padding, dilation, groups };
    return [() => bind("conv_transpose", [ct, w as Array], { ...conv, inputShape: (x as Array).shape }), () => bind("conv_filter_grad", [x as Array, ct], { ...conv, filterShape: (w as Array).shape })];
  },
  conv_transpose: (ct, [c, w], _out, { strides, padding, dilation, groups }) => {
    const conv = { strides, padding, dilation, groups };
    return [() => bind("conv", [ct, w as Array], conv), () => bind("conv_filter_grad", [ct, c as Array], { ...conv, filterShape: (w as Array).shape })];
  },
  conv_filter_grad: (ct, [x, c], _out, { strides, padding, dilation, groups }) => {
    const conv = { strides, padding, dilation, groups };
    return [() => bind("conv_transpose", [c as Array, ct], { ...conv, inputShape: (x as Array).shape }), () => bind("conv", [x as Array, ct], conv)];
  },
  avg_pool: (ct, [x], _out, p) => [bind("avg_pool_grad", [ct], { ...p, inputShape: (x as Array).shape })],
  avg_pool_grad: (ct, _o, _out, { window, strides, padding }) => [bind("avg_pool", [ct], { window, strides, padding })],
  max_pool: (ct, [x], _out, p) => {
    // Route each window's cotangent to the position of its maximum.
    const X = x as Array;
    const at = bind("max_pool_argmax", [X], p);
    const routed = np.scatterAdd(np.reshape(ct, [-1]), np.reshape(at, [-1]), X.size);
    return [np.reshape(routed, X.shape)];
  },
  max_pool_argmax: none,
  tag: (ct) => [ct],
  stop_gradient: () => [null],
};

import { Array, type Operand } from "./array.js";
import { array } from "./creation.js";
import type { DType } from "./dtype.js";
import { assertDType } from "./dtype.js";
import type { BinaryPrimitive, ComparisonPrimitive, UnaryPrimitive } from "./primitives.js";
import { assertShape, normalizeAxes, normalizeAxis, shapeSize } from "./shape.js";
import { bind, literal } from "./trace.js";

export { array, arange, type ArrayOptions, type NestedValues } from "./creation.js";

/** An array, or a JS number / boolean that takes the dtype of the array it meets. */
export type ArrayLike = Array | number | boolean;

function operand(x: ArrayLike, dtype: DType): Operand {
  return x instanceof Array ? x : literal(x, dtype);
}

function asArray(x: ArrayLike, what: string): Array {
  if (x instanceof Array) return x;
  if (typeof x === "number" || typeof x === "boolean") return full([], x, typeof x === "boolean" ? "bool" : "float32");
  throw new TypeError(`${what}: expected an array or a number, got ${typeof x}`);
}

/** Operands for an elementwise primitive: numbers become literals of the other operand's dtype. */
function operands(...xs: ArrayLike[]): Operand[] {
  const ref = xs.find((x): x is Array => x instanceof Array);
  const dtype: DType = ref ? ref.dtype : typeof xs[0] === "boolean" ? "bool" : "float32";
  return xs.map((x) => operand(x, dtype));
}

const unary = (p: UnaryPrimitive) => (x: ArrayLike) => bind(p, operands(x), {});
const binary = (p: BinaryPrimitive | ComparisonPrimitive) => (a: ArrayLike, b: ArrayLike) => bind(p, operands(a, b), {});

// --- creation ---------------------------------------------------------------------------------

/** An array of `shape` filled with `value`. Inside a traced function it is part of the program. */
export function full(shape: readonly number[], value: number | boolean, dtype: DType = "float32"): Array {
  assertShape(shape, "np.full");
  assertDType(dtype, "np.full");
  return bind("broadcast_to", [literal(value, dtype)], { shape: [...shape] });
}
export const zeros = (shape: readonly number[], dtype: DType = "float32") => full(shape, 0, dtype);
export const ones = (shape: readonly number[], dtype: DType = "float32") => full(shape, 1, dtype);
export const zerosLike = (x: Array) => full(x.shape, 0, x.dtype);
export const onesLike = (x: Array) => full(x.shape, 1, x.dtype);
export const fullLike = (x: Array, value: number) => full(x.shape, value, x.dtype);

// --- elementwise ------------------------------------------------------------------------------

/**
 * One np function per elementwise primitive, typed over the kinds in primitives.ts: a primitive
 * classified there as unary, binary or comparison does not compile until it has its function here.
 */
const unaryOps: { readonly [P in UnaryPrimitive]: (x: ArrayLike) => Array } = {
  neg: unary("neg"),
  exp: unary("exp"),
  log: unary("log"),
  log1p: unary("log1p"),
  tanh: unary("tanh"),
  logistic: unary("logistic"),
  sqrt: unary("sqrt"),
  rsqrt: unary("rsqrt"),
  abs: unary("abs"),
  sign: unary("sign"),
  erf: unary("erf"),
  sin: unary("sin"),
  cos: unary("cos"),
  relu: unary("relu"),
};
const binaryOps: { readonly [P in BinaryPrimitive | ComparisonPrimitive]: (a: ArrayLike, b: ArrayLike) => Array } = {
  add: binary("add"),
  sub: binary("sub"),
  mul: binary("mul"),
  div: binary("div"),
  pow: binary("pow"),
  maximum: binary("maximum"),
  minimum: binary("minimum"),
  equal: binary("equal"),
  less: binary("less"),
  greater: binary("greater"),
  less_equal: binary("less_equal"),
  greater_equal: binary("greater_equal"),
};

export const { neg, exp, log, log1p, tanh, sqrt, rsqrt, abs, sign, erf, sin, cos } = unaryOps;
/** The logistic sigmoid 1 / (1 + e^-x). */
export const sigmoid = unaryOps.logistic;
/** max(x, 0) for float32 x, with gradient 0 at 0 (as PyTorch); NaN stays NaN. Also `lax.relu`. */
export const relu = unaryOps.relu;

export const { add, sub, mul, pow, maximum, minimum, equal, less, greater } = binaryOps;
/** True division (float32). */
export const div = binaryOps.div;
export const lessEqual = binaryOps.less_equal;
export const greaterEqual = binaryOps.greater_equal;
export const square = (x: ArrayLike) => mul(x, x);
export const reciprocal = (x: ArrayLike) => div(1, x);

export function where(cond: ArrayLike, a: ArrayLike, b: ArrayLike): Array {
  const [x, y] = operands(a, b);
  return bind("where", [operand(cond, "bool"), x!, y!], {});
}

/** Limits values to [lo, hi]. */
export function clip(x: ArrayLike, lo: ArrayLike, hi: ArrayLike): Array {
  return minimum(maximum(x, lo), hi);
}

export function astype(x: ArrayLike, dtype: DType): Array {
  assertDType(dtype, "np.astype");
  const a = asArray(x, "np.astype");
  return a.dtype === dtype ? a : bind("convert_element_type", [a], { dtype });
}

// --- reductions -------------------------------------------------------------------------------

export interface ReduceOptions {
  axis?: number | readonly number[] | null;
  keepdims?: boolean;
}

function keep(x: Array, reduced: Array, axes: number[], keepdims: boolean | undefined): Array {
  if (!keepdims) return reduced;
  return reshape(
    reduced,
    x.shape.map((d, i) => (axes.includes(i) ? 1 : d)),
  );
}

function reducer(p: "reduce_sum" | "reduce_max" | "reduce_min", what: string) {
  return (x: ArrayLike, opts: ReduceOptions = {}): Array => {
    const a = asArray(x, what);
    const axes = normalizeAxes(opts.axis, a.ndim, what);
    return keep(a, bind(p, [a], { axes }), axes, opts.keepdims);
  };
}

export const sum = reducer("reduce_sum", "np.sum");
export const max = reducer("reduce_max", "np.max");
export const min = reducer("reduce_min", "np.min");

export function mean(x: ArrayLike, opts: ReduceOptions = {}): Array {
  const a = astype(x, "float32");
  const axes = normalizeAxes(opts.axis, a.ndim, "np.mean");
  const count = axes.reduce((n, ax) => n * a.shape[ax]!, 1);
  return div(sum(a, opts), count);
}

/** Population variance (ddof = 0), as numpy's default. */
export function variance(x: ArrayLike, opts: ReduceOptions = {}): Array {
  const a = astype(x, "float32");
  const centred = sub(a, mean(a, { axis: opts.axis ?? null, keepdims: true }));
  return mean(square(centred), opts);
}

export function argmax(x: ArrayLike, axis = -1): Array {
  const a = asArray(x, "np.argmax");
  return bind("argmax", [a], { axis: normalizeAxis(axis, a.ndim, "np.argmax") });
}

// --- shapes -----------------------------------------------------------------------------------

/** Reshapes; one dimension may be -1 and is then inferred. */
export function reshape(x: ArrayLike, shape: readonly number[]): Array {
  const a = asArray(x, "np.reshape");
  const unknown = shape.filter((d) => d === -1).length;
  if (unknown > 1) throw new TypeError(`np.reshape: only one dimension may be -1, got [${shape.join(",")}]`);
  let target = [...shape];
  if (unknown === 1) {
    const known = shapeSize(shape.filter((d) => d !== -1));
    if (known === 0 || a.size % known !== 0) {
      throw new TypeError(`np.reshape: cannot reshape ${a.aval} to [${shape.join(",")}]`);
    }
    target = shape.map((d) => (d === -1 ? a.size / known : d));
  }
  if (target.length === a.ndim && target.every((d, i) => d === a.shape[i])) return a;
  return bind("reshape", [a], { shape: target });
}

export function transpose(x: ArrayLike, perm?: readonly number[]): Array {
  const a = asArray(x, "np.transpose");
  const p = perm ? perm.map((ax) => normalizeAxis(ax, a.ndim, "np.transpose")) : a.shape.map((_, i) => a.ndim - 1 - i);
  if (p.every((ax, i) => ax === i)) return a;
  return bind("transpose", [a], { perm: p });
}

/** Swaps the last two axes. */
export function matrixTranspose(x: Array): Array {
  const p = x.shape.map((_, i) => i);
  [p[x.ndim - 2], p[x.ndim - 1]] = [p[x.ndim - 1]!, p[x.ndim - 2]!];
  return transpose(x, p);
}

export function broadcastTo(x: ArrayLike, shape: readonly number[]): Array {
  assertShape(shape, "np.broadcastTo");
  const a = asArray(x, "np.broadcastTo");
  if (a.ndim === shape.length && a.shape.every((d, i) => d === shape[i])) return a;
  return bind("broadcast_to", [a], { shape: [...shape] });
}

export function expandDims(x: ArrayLike, axis: number): Array {
  const a = asArray(x, "np.expandDims");
  const ax = normalizeAxis(axis, a.ndim + 1, "np.expandDims");
  const shape = [...a.shape];
  shape.splice(ax, 0, 1);
  return reshape(a, shape);
}

export function squeeze(x: ArrayLike, axis?: number | readonly number[]): Array {
  const a = asArray(x, "np.squeeze");
  const axes = axis === undefined ? a.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : normalizeAxes(axis, a.ndim, "np.squeeze");
  for (const ax of axes) {
    if (a.shape[ax] !== 1) throw new TypeError(`np.squeeze: axis ${ax} of ${a.aval} has size ${a.shape[ax]}, not 1`);
  }
  return reshape(
    a,
    a.shape.filter((_, i) => !axes.includes(i)),
  );
}

export function concatenate(xs: readonly Array[], axis = 0): Array {
  if (xs.length === 0) throw new TypeError("np.concatenate: needs at least one array");
  const ax = normalizeAxis(axis, xs[0]!.ndim, "np.concatenate");
  return xs.length === 1 ? xs[0]! : bind("concatenate", xs, { axis: ax });
}

export function stack(xs: readonly Array[], axis = 0): Array {
  if (xs.length === 0) throw new TypeError("np.stack: needs at least one array");
  const ax = normalizeAxis(axis, xs[0]!.ndim + 1, "np.stack");
  return concatenate(
    xs.map((x) => expandDims(x, ax)),
    ax,
  );
}

/** `x[begin : begin + size]` along every axis; a size of -1 runs to the end of that axis. */
export function slice(x: ArrayLike, begin: readonly number[], size: readonly number[]): Array {
  const a = asArray(x, "np.slice");
  if (begin.length !== a.ndim || size.length !== a.ndim) {
    throw new TypeError(`np.slice: begin [${begin}] and size [${size}] need one entry per axis of ${a.aval}`);
  }
  const sz = size.map((s, i) => (s === -1 ? a.shape[i]! - begin[i]! : s));
  return bind("slice", [a], { begin: [...begin], size: sz });
}

/** Pads each axis with [before, after] copies of `value`. */
export function pad(x: ArrayLike, widths: readonly (readonly [number, number])[], value = 0): Array {
  const a = asArray(x, "np.pad");
  return bind("pad", [a], { widths: widths.map(([lo, hi]) => [lo, hi] as [number, number]), value });
}

// --- indexing ---------------------------------------------------------------------------------

function indexArray(indices: Array | readonly number[], what: string): Array {
  if (indices instanceof Array) {
    if (indices.dtype !== "int32") throw new TypeError(`${what}: indices must be int32, got ${indices.aval}`);
    return indices;
  }
  return array([...indices], { shape: [indices.length], dtype: "int32" });
}

/** Gathers slices of x along `axis` at int32 `indices` (of any shape). */
export function take(x: ArrayLike, indices: Array | readonly number[], axis = 0): Array {
  const a = asArray(x, "np.take");
  return bind("take", [a, indexArray(indices, "np.take")], { axis: normalizeAxis(axis, a.ndim, "np.take") });
}

/** The transpose of take: adds slices of `updates` into `size` rows along `axis` (duplicates add up). */
export function scatterAdd(updates: Array, indices: Array, size: number, axis = 0): Array {
  return bind("scatter_add", [updates, indexArray(indices, "np.scatterAdd")], { axis: normalizeAxis(axis, updates.ndim, "np.scatterAdd"), size });
}

/** One-hot float32 rows of length `depth` for int32 labels. */
export function oneHot(indices: Array, depth: number): Array {
  return bind("one_hot", [indexArray(indices, "np.oneHot")], { depth });
}

// --- linear algebra ---------------------------------------------------------------------------

/** Matrix product over the last two axes; 1-D operands are treated as a row or column, as numpy does. */
export function matmul(a: Array, b: Array): Array {
  if (a.ndim === 0 || b.ndim === 0) throw new TypeError(`np.matmul: operands must not be scalars, got ${a.aval} and ${b.aval}`);
  const A = a.ndim === 1 ? reshape(a, [1, a.shape[0]!]) : a;
  const B = b.ndim === 1 ? reshape(b, [b.shape[0]!, 1]) : b;
  let out = bind("matmul", [A, B], { transposeA: false, transposeB: false });
  if (a.ndim === 1) out = squeeze(out, out.ndim - 2);
  if (b.ndim === 1) out = squeeze(out, out.ndim - 1);
  return out;
}

// --- softmax family ---------------------------------------------------------------------------

/** log(sum(exp(x))) along `axis`, computed stably by subtracting the (gradient-stopped) maximum. */
export function logSumExp(x: Array, axis = -1, keepdims = false): Array {
  const ax = normalizeAxis(axis, x.ndim, "np.logSumExp");
  const m = max(x, { axis: ax, keepdims: true });
  // An all -inf row would give -inf - -inf = NaN: shift such rows by 0 instead.
  const shift = bind("stop_gradient", [where(greater(m, -Infinity), m, 0)], {});
  const out = add(log(sum(exp(sub(x, shift)), { axis: ax, keepdims: true })), shift);
  return keepdims ? out : squeeze(out, ax);
}

/** x − logSumExp(x), computed as (x − m) − log Σ exp(x − m) so that large logits keep their digits. */
export function logSoftmax(x: Array, axis = -1): Array {
  const ax = normalizeAxis(axis, x.ndim, "np.logSoftmax");
  const m = max(x, { axis: ax, keepdims: true });
  const shifted = sub(x, bind("stop_gradient", [where(greater(m, -Infinity), m, 0)], {}));
  return sub(shifted, log(sum(exp(shifted), { axis: ax, keepdims: true })));
}

export function softmax(x: Array, axis = -1): Array {
  return exp(logSoftmax(x, axis));
}

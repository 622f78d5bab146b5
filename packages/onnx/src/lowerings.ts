import { broadcastShapes, shapeEqual, type DType, type Params, type Primitive, type ShapedArray } from "@mmx/core";
import { DataType } from "./proto.js";
import { dataOf, float, int, ints, ONNX_DTYPE, tensorMessage, type GraphBuilder, type Value } from "./graph-builder.js";
import { DEFAULT_CONV_OPTIONS, lowerConv, lowerConvFilterGrad, lowerConvTranspose, type ConvLoweringOptions } from "./lower-conv.js";
import { lowerAvgPool, lowerAvgPoolGrad, lowerMaxPool, lowerMaxPoolArgmax } from "./lower-pool.js";

/**
 * The lowering of each mmx primitive to ONNX (opset 17) nodes. A lowering adds nodes to the graph
 * and returns the name of the value that holds the primitive's result (possibly an operand's own
 * name, for identities). The table is typed over every primitive, so that a primitive added to core
 * without an ONNX lowering does not compile here.
 */
export type OnnxLowering<P extends Primitive> = (b: GraphBuilder, inputs: readonly Value[], params: Params<P>, out: ShapedArray, opts: LoweringOptions) => string;
export type OnnxLoweringTable = { readonly [P in Primitive]: OnnxLowering<P> };

export interface LoweringOptions extends ConvLoweringOptions {
  /**
   * `lazy`: a broadcast_to is made (Expand) only when a reader needs the full array; elementwise readers take
   * the smaller value and ONNX broadcasting (on NCHW twins too). `expand`: every broadcast_to is an Expand.
   */
  readonly broadcasts: "lazy" | "expand";
}
export const DEFAULT_LOWERING_OPTIONS: LoweringOptions = { ...DEFAULT_CONV_OPTIONS, broadcasts: "lazy" };

/**
 * The operand names of an elementwise node: an operand that is a constant fill (zerosLike, a
 * broadcast literal) becomes a scalar wherever the other operands already give the output's shape,
 * so that it is never materialised; a broadcast of a smaller value is read as that value where it can be.
 */
export function elementwiseOperands(b: GraphBuilder, inputs: readonly Value[], out: ShapedArray): string[] {
  const scalar = new Set<number>();
  inputs.forEach((v, i) => {
    if (v.splat === undefined || v.aval.ndim === 0) return;
    const rest = inputs.filter((_, j) => j !== i && !scalar.has(j)).map((u) => u.aval.shape);
    const shape = broadcastShapes(...rest);
    if (shape && shapeEqual(shape, out.shape)) scalar.add(i);
  });
  // A broadcast operand is read as its source where the operands' shapes still broadcast to the output's.
  const shapes = inputs.map((v) => v.aval.shape);
  const fromSource = new Set<number>();
  inputs.forEach((v, i) => {
    if (scalar.has(i) || !v.broadcastOf) return;
    const shape = broadcastShapes(...shapes.map((s, j) => (j === i ? v.broadcastOf!.aval.shape : s)));
    if (!shape || !shapeEqual(shape, out.shape)) return;
    shapes[i] = v.broadcastOf.aval.shape;
    fromSource.add(i);
  });
  return inputs.map((v, i) => (scalar.has(i) ? b.scalar(v.splat!, v.aval.dtype) : fromSource.has(i) ? v.broadcastOf!.name : v.name));
}

const unary =
  (op: string): OnnxLowering<Primitive> =>
  (b, [x]) =>
    b.op(op, [x!.name]);

const binary =
  (op: string): OnnxLowering<Primitive> =>
  (b, inputs, _p, out) =>
    b.op(op, elementwiseOperands(b, inputs, out));

const cast = (b: GraphBuilder, x: string, to: DType) => b.op("Cast", [x], { to: int(ONNX_DTYPE[to]) });

/**
 * Bool operands are compared as int32: onnxruntime's order comparisons take numbers only, and onnxruntime-web's
 * WebGPU provider (1.30) computes a second Equal of two bool tensors in a session from the first one's data.
 */
const comparison =
  (op: string): OnnxLowering<Primitive> =>
  (b, inputs, _p, out) => {
    const [x, y] = elementwiseOperands(b, inputs, out) as [string, string];
    if (inputs[0]!.aval.dtype === "bool") return b.op(op, [cast(b, x, "int32"), cast(b, y, "int32")]);
    return b.op(op, [x, y]);
  };

/** Reductions onnxruntime has no bool kernel for run on int32 and convert back. */
function reduceAttr(op: "ReduceMax" | "ReduceMin"): OnnxLowering<"reduce_max" | "reduce_min"> {
  return (b, [x], { axes }) => {
    if (axes.length === 0) return x!.name;
    const isBool = x!.aval.dtype === "bool";
    const input = isBool ? cast(b, x!.name, "int32") : x!.name;
    const r = b.op(op, [input], { axes: ints(axes), keepdims: int(0) });
    return isBool ? cast(b, r, "bool") : r;
  };
}

function zeros(b: GraphBuilder, shape: readonly number[], dtype: DType): string {
  return b.op("ConstantOfShape", [b.int64s(shape)], { value: { tensor: tensorMessage("value", [1], ONNX_DTYPE[dtype], dataOf(dtype, [0])) } });
}

const range = (n: number) => globalThis.Array.from({ length: n }, (_, i) => i);
const product = (s: readonly number[]) => s.reduce((a, v) => a * v, 1);
/**
 * scatter_add(updates, indices, axis, size): the rows of `updates` along the index axes summed into
 * `size` slots, by a scatter with reduction 'add' (ScatterElements when nothing else is carried
 * along, ScatterND otherwise). A product with a one-hot matrix was measured 2 to 50 times slower on
 * every shape tried (a 128-row permutation's gradient with rows of 1 to 6272 values; 4096 indices
 * into 16 slots; 1024 into 1024).
 */
function lowerScatterAdd(b: GraphBuilder, [u, idx]: readonly Value[], { axis, size }: Params<"scatter_add">): string {
  const us = u!.aval.shape;
  const k = idx!.aval.ndim;
  const count = idx!.aval.size;
  const pre = us.slice(0, axis);
  const post = us.slice(axis + k);
  const restShape = [...pre, ...post];
  const rest = product(restShape);
  const dtype = u!.aval.dtype;
  const flatIdx = b.op("Reshape", [idx!.name, b.int64s([count])]);
  // Index axes first: [K, rest].
  const toFront = [...range(k).map((i) => axis + i), ...range(axis), ...range(post.length).map((i) => axis + k + i)];
  const isFront = toFront.every((p, i) => p === i);
  const rows = b.op("Reshape", [isFront ? u!.name : b.op("Transpose", [u!.name], { perm: ints(toFront) }), b.int64s([count, rest])]);
  let summed: string;
  if (rest === 1) {
    const flatRows = b.op("Reshape", [rows, b.int64s([count])]);
    summed = b.op("ScatterElements", [zeros(b, [size], dtype), cast64(b, flatIdx), flatRows], { axis: int(0), reduction: { string: "add" } });
  } else {
    const nd = b.op("Unsqueeze", [cast64(b, flatIdx), b.int64s([1])]);
    summed = b.op("ScatterND", [zeros(b, [size, rest], dtype), nd, rows], { reduction: { string: "add" } });
  }
  const shaped = b.op("Reshape", [summed, b.int64s([size, ...restShape])]);
  if (axis === 0) return shaped;
  const back = [...range(axis).map((i) => i + 1), 0, ...range(post.length).map((i) => axis + 1 + i)];
  return b.op("Transpose", [shaped], { perm: ints(back) });
}

/** Largest reduction that becomes a Gemm with a vector of ones (the ones are stored in the model). */
const GEMM_REDUCE_LIMIT = 1 << 20;

/**
 * reduce_sum. A float sum over leading axes (a bias gradient) or trailing axes (a softmax
 * denominator) is a Gemm with a vector of ones: onnxruntime's ReduceSum runs such shapes about ten
 * times slower than its threaded Gemm (measured on [128·28·28, 32]). Other sums use ReduceSum.
 */
function lowerReduceSum(b: GraphBuilder, [x]: readonly Value[], { axes }: Params<"reduce_sum">, out: ShapedArray): string {
  if (axes.length === 0) return x!.name;
  const shape = x!.aval.shape;
  const rank = shape.length;
  const twin = b.nchwOf.get(x!.name);
  if (twin && rank === 4 && axes.join() === "0,1,2" && x!.aval.dtype === "float32") {
    // A per-channel sum (batch-norm statistics) of a value that exists in NCHW: over H·W, then over N.
    const [n, h, w, c] = shape as [number, number, number, number];
    const perImage = h * w === 1 ? b.op("Reshape", [twin, b.int64s([n, c])]) : b.op("Reshape", [b.op("Gemm", [b.op("Reshape", [twin, b.int64s([n * c, h * w])]), b.fill([h * w, 1], 1)]), b.int64s([n, c])]);
    return n === 1 ? b.op("Reshape", [perImage, b.int64s([c])]) : b.op("Reshape", [b.op("Gemm", [b.fill([1, n], 1), perImage]), b.int64s([c])]);
  }
  const count = product(axes.map((a) => shape[a]!));
  const kept = x!.aval.size / count;
  const prefix = axes.every((a, i) => a === i);
  const suffix = axes.every((a, i) => a === rank - axes.length + i);
  if (x!.aval.dtype === "float32" && (prefix || suffix) && kept > 1 && count > 1 && count <= GEMM_REDUCE_LIMIT) {
    const ones = b.fill(prefix ? [1, count] : [count, 1], 1);
    const matrix = b.op("Reshape", [x!.name, b.int64s(prefix ? [count, kept] : [kept, count])]);
    const summed = b.op("Gemm", prefix ? [ones, matrix] : [matrix, ones]);
    return b.op("Reshape", [summed, b.int64s(out.shape)]);
  }
  return b.op("ReduceSum", [x!.name, b.int64s(axes)], { keepdims: int(0) });
}

const cast64 = (b: GraphBuilder, x: string) => b.op("Cast", [x], { to: int(DataType.INT64) });

const swapLastTwo = (rank: number) => [...range(rank - 2), rank - 1, rank - 2];

/** A 2-D matmul plus β·acc as one Gemm (fusions.ts: gemm accumulate). */
export function lowerGemmAccumulate(b: GraphBuilder, [a, c]: readonly Value[], { transposeA, transposeB }: Params<"matmul">, acc: Value, beta: number): string {
  return b.op("Gemm", [a!.name, c!.name, acc.name], { transA: int(transposeA ? 1 : 0), transB: int(transposeB ? 1 : 0), beta: float(beta) });
}

function lowerMatmul(b: GraphBuilder, [a, c]: readonly Value[], { transposeA, transposeB }: Params<"matmul">): string {
  const rank = a!.aval.ndim;
  if (rank === 2) return b.op("Gemm", [a!.name, c!.name], { transA: int(transposeA ? 1 : 0), transB: int(transposeB ? 1 : 0) });
  const A = transposeA ? b.op("Transpose", [a!.name], { perm: ints(swapLastTwo(rank)) }) : a!.name;
  const B = transposeB ? b.op("Transpose", [c!.name], { perm: ints(swapLastTwo(rank)) }) : c!.name;
  return b.op("MatMul", [A, B]);
}

const identity: OnnxLowering<Primitive> = (_b, [x]) => x!.name;

export const onnxLowerings: OnnxLoweringTable = {
  neg: unary("Neg"),
  exp: unary("Exp"),
  log: unary("Log"),
  log1p: (b, [x]) => b.op("Log", [b.op("Add", [x!.name, b.scalar(1, "float32")])]),
  tanh: unary("Tanh"),
  logistic: unary("Sigmoid"),
  sqrt: unary("Sqrt"),
  rsqrt: (b, [x]) => b.op("Reciprocal", [b.op("Sqrt", [x!.name])]),
  abs: unary("Abs"),
  sign: unary("Sign"),
  erf: unary("Erf"),
  sin: unary("Sin"),
  cos: unary("Cos"),
  relu: unary("Relu"),
  add: binary("Add"),
  sub: binary("Sub"),
  mul: binary("Mul"),
  div: binary("Div"),
  pow: binary("Pow"),
  maximum: binary("Max"),
  minimum: binary("Min"),
  equal: comparison("Equal"),
  less: comparison("Less"),
  greater: comparison("Greater"),
  less_equal: comparison("LessOrEqual"),
  greater_equal: comparison("GreaterOrEqual"),
  where: (b, inputs, _p, out) => b.op("Where", elementwiseOperands(b, inputs, out)),
  convert_element_type: (b, [x], { dtype }) => (x!.aval.dtype === dtype ? x!.name : cast(b, x!.name, dtype)),
  reduce_sum: lowerReduceSum,
  reduce_max: reduceAttr("ReduceMax"),
  reduce_min: reduceAttr("ReduceMin"),
  argmax: (b, [x], { axis }) => {
    const input = x!.aval.dtype === "bool" ? cast(b, x!.name, "int32") : x!.name;
    return cast(b, b.op("ArgMax", [input], { axis: int(axis), keepdims: int(0), select_last_index: int(0) }), "int32");
  },
  reshape: (b, [x], { shape }) => b.op("Reshape", [x!.name, b.int64s(shape)], { allowzero: int(1) }),
  transpose: (b, [x], { perm }) => (perm.every((p, i) => p === i) ? x!.name : b.op("Transpose", [x!.name], { perm: ints(perm) })),
  broadcast_to: (b, [x], { shape }) => {
    const s = x!.aval.shape;
    if (shapeEqual(s, shape)) return x!.name;
    return b.op("Expand", [x!.name, b.int64s(shape)]);
  },
  concatenate: (b, xs, { axis }) => b.concat(xs.map((x) => x.name), axis),
  slice: (b, [x], { begin, size }) => {
    const s = x!.aval.shape;
    if (begin.every((v, i) => v === 0 && size[i] === s[i])) return x!.name;
    return b.op("Slice", [x!.name, b.int64s(begin), b.int64s(begin.map((v, i) => v + size[i]!)), b.int64s(range(begin.length))]);
  },
  pad: (b, [x], { widths, value }) => {
    if (widths.every(([lo, hi]) => lo === 0 && hi === 0)) return x!.name;
    const pads = [...widths.map(([lo]) => lo), ...widths.map(([, hi]) => hi)];
    return b.op("Pad", [x!.name, b.int64s(pads), b.scalar(value, x!.aval.dtype)], { mode: { string: "constant" } });
  },
  take: (b, [x, i], { axis }) => b.op("Gather", [x!.name, i!.name], { axis: int(axis) }),
  scatter_add: lowerScatterAdd,
  // Equality with 0..depth-1: out-of-range labels give a zero row, as tfjs's oneHot does.
  one_hot: (b, [i], { depth }) => cast(b, b.op("Equal", [b.op("Unsqueeze", [i!.name, b.int64s([-1])]), b.array(range(depth), [depth], "int32")]), "float32"),
  matmul: lowerMatmul,
  conv: (b, inputs, p) => lowerConv(b, inputs, p),
  conv_transpose: (b, inputs, p, _out, opts) => lowerConvTranspose(b, inputs, p, opts),
  conv_filter_grad: (b, inputs, p, _out, opts) => lowerConvFilterGrad(b, inputs, p, opts),
  avg_pool: lowerAvgPool,
  avg_pool_grad: lowerAvgPoolGrad,
  max_pool: lowerMaxPool,
  max_pool_argmax: lowerMaxPoolArgmax,
  tag: identity,
  stop_gradient: identity,
};

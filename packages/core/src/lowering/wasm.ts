import * as tf from "@tensorflow/tfjs-core";
import type { Params } from "../primitives.js";
import { broadcastShapes, shapeEqual } from "../shape.js";
import { grouped } from "./grouped.js";
import { convFilterGradAsConv, convTransposeAsConv, matmulWithExplicitTransposes, registerLowerings, transposeLastTwo } from "./tfjs.js";

/**
 * tfjs-wasm 4.22 in Node (measured, see DESIGN.md and bench/README.md):
 * - transposed matmuls run 10-25x slower than plain ones, so transposes are explicit;
 * - Conv2DBackpropFilter is missing, so the filter gradient is a convolution;
 * - Conv2DBackpropInput runs ~10x slower than the forward convolution (216 ms against 23 ms for the
 *   [128,14,14,64] -> [128,14,14,32] gradient of the small CNN), so the input gradient is one too;
 * - Tile, which tf.broadcastTo and tf.where's implicit broadcasting use, runs ~50x slower than a
 *   broadcasting binary kernel (150 ms for a [128,28,28,32] broadcast, against 3 ms), so broadcasts
 *   are a multiplication by ones (exact: x·1 = x) and where broadcasts its operands that way first;
 * - Sum over leading axes transposes the input first, 10-40x slower than an average pool over the
 *   same values (5-8 ms against 0.25 ms for the small CNN's [128,28,28,32] -> [32] bias gradient),
 *   so a large reduction over one run of adjacent axes that is not innermost is that pool, scaled;
 * - Gather copies element by element, ~13x slower than GatherNd copying whole rows (1.7 ms against
 *   0.13 ms for the [128,512] batch permutation of manifold mixup), so take along axis 0 is a GatherNd;
 * - BatchMatMul with a batch on both operands (vmap over models, per-example gradients) runs outside
 *   XNNPACK, two orders of magnitude slower than the 2-D matmul, so it is one 2-D matmul per batch
 *   element, and a product whose contraction is 1 (per-example outer products) a broadcast multiply.
 * - Transpose of a matrix whose row count is a multiple of 128 runs several times slower than of one
 *   whose is not (its output rows are written at a stride of that many floats, and such strides
 *   collide in the cache: a batch of 128, widths of 512), while its 3-D Transpose walks the same
 *   values another way, about twice as fast there; so such a matrix is transposed as a 3-D array.
 * (Its MaxPoolWithArgmax and OneHot bugs are handled in the default lowerings.)
 */

/** Row counts whose multiples make tfjs-wasm's 2-D Transpose slow (measured: 128 to 1024 are; 100, 136 and 784 are not). */
const COLLIDING_ROWS = 128;

/**
 * The last two axes swapped; a matrix of R rows, R a multiple of COLLIDING_ROWS, as the 3-D
 * transpose [4, R/4, C] -> [C, 4, R/4], which holds the same values in the same order as [C, R].
 */
export function transposeMatrix(x: tf.Tensor): tf.Tensor {
  if (x.rank !== 2 || x.shape[0]! % COLLIDING_ROWS !== 0) return transposeLastTwo(x);
  const [rows, cols] = x.shape as [number, number];
  return tf.reshape(tf.transpose(tf.reshape(x, [4, rows / 4, cols]), [2, 0, 1]), [cols, rows]);
}

/** A matmul's explicit transposes (see tfjs.ts) made by transposeMatrix. */
const matmul2d = ([a, b]: tf.Tensor[], p: Params<"matmul">): tf.Tensor => matmulWithExplicitTransposes([a!, b!], p, transposeMatrix);

/** x broadcast to `shape` without Tile: ones(shape) · x (logical and for bool). */
export function broadcastByBinaryOp(x: tf.Tensor, shape: readonly number[]): tf.Tensor {
  if (shapeEqual(x.shape, shape)) return x;
  const ones = tf.ones([...shape], x.dtype);
  return x.dtype === "bool" ? tf.logicalAnd(ones, x) : tf.mul(ones, x);
}

function whereBroadcast([c, a, b]: tf.Tensor[]): tf.Tensor {
  const shape = broadcastShapes(c!.shape, a!.shape, b!.shape)!;
  return tf.where(broadcastByBinaryOp(c!, shape), broadcastByBinaryOp(a!, shape), broadcastByBinaryOp(b!, shape));
}

/** Below this many elements tf.sum costs under a millisecond even over leading axes (measured). */
const POOLED_SUM_MIN_SIZE = 2 ** 19;

/**
 * reduce_sum over a contiguous run of axes that is not innermost as an average pool: x viewed as
 * NHWC [before, reduced, 1, after], pooled over the whole [reduced, 1] window and scaled back by the
 * count. (A matmul by a row of ones would be as fast with a fixed operand, but XNNPACK repacks a
 * fresh right-hand side on every call: 14 ms for the small CNN's bias gradient, against 0.1 ms.)
 * Measured as accurate as tf.sum against a float64 sum, but it adds in another order than tf.sum
 * does on every backend; sums that cancel to rounding noise (a batch norm's gradient over a batch of
 * two) then differ across backends by more than their size suggests. So small reductions, where the
 * pool gains nothing that matters, keep tf.sum and agree with cpu bit for bit; so do innermost and
 * non-contiguous ones, where tf.sum is fast.
 */
function sumByAvgPool([x]: tf.Tensor[], { axes }: { readonly axes: readonly number[] }): tf.Tensor {
  const shape = x!.shape;
  const contiguous = axes.length > 0 && axes.every((a, i) => i === 0 || a === axes[i - 1]! + 1);
  const last = axes[axes.length - 1]!;
  if (x!.dtype !== "float32" || !contiguous || last === shape.length - 1 || x!.size < POOLED_SUM_MIN_SIZE) return axes.length === 0 ? tf.clone(x!) : tf.sum(x!, [...axes]);
  const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
  const before = size(shape.slice(0, axes[0]));
  const reduced = size(shape.slice(axes[0], last + 1));
  const after = size(shape.slice(last + 1));
  const outShape = [...shape.slice(0, axes[0]), ...shape.slice(last + 1)];
  const mean = tf.avgPool(tf.reshape(x!, [before, reduced, 1, after]) as tf.Tensor4D, [reduced, 1], 1, "valid");
  return tf.reshape(tf.mul(mean, tf.scalar(reduced)), outShape);
}

/**
 * The `count` matrices of x [..., m, n] (its leading axes holding `count` of them), each as its own tensor. Each is
 * one GatherNd of a whole row of x viewed as [count, m·n]: tf.unstack and tf.slice copy element by element, several
 * times slower (a [3,784,512] stack of weights, measured).
 */
function leadingRows(x: tf.Tensor, count: number): tf.Tensor[] {
  const matrix = x.shape.slice(-2);
  const rows = tf.reshape(x, [count, matrix[0]! * matrix[1]!]);
  return globalThis.Array.from({ length: count }, (_, i) => tf.reshape(tf.gatherND(rows, tf.tensor2d([[i]], [1, 1], "int32")), matrix));
}

/**
 * A matmul whose operands both carry batch axes, as 2-D matmuls (see above): a contraction of 1 is the
 * broadcast product of a column and a row; otherwise one 2-D matmul per batch element, stacked.
 */
export function batchedMatmulAs2d([a, b]: tf.Tensor[], p: Params<"matmul">): tf.Tensor {
  const [A, B] = [a!, b!];
  const contraction = p.transposeA ? A.shape[A.rank - 2]! : A.shape[A.rank - 1]!;
  if (A.rank < 3 || B.rank < 3) return matmul2d([A, B], p);
  if (contraction === 1) {
    // [..., m, 1] · [..., 1, n]: with one row or column, a transpose is a reshape.
    const column = p.transposeA ? tf.reshape(A, [...A.shape.slice(0, -2), A.shape[A.rank - 1]!, 1]) : A;
    const row = p.transposeB ? tf.reshape(B, [...B.shape.slice(0, -2), 1, B.shape[B.rank - 2]!]) : B;
    return tf.mul(column, row);
  }
  const batchA = A.shape.slice(0, -2);
  const batchB = B.shape.slice(0, -2);
  const count = batchA.reduce((x, y) => x * y, 1);
  if (count === 1 || !shapeEqual(batchA, batchB)) return matmul2d([A, B], p);
  const as = leadingRows(A, count);
  const bs = leadingRows(B, count);
  const out = tf.stack(as.map((x, i) => matmul2d([x, bs[i]!], p)));
  return tf.reshape(out, [...batchA, ...out.shape.slice(-2)]);
}

/**
 * A slice that keeps every axis but the first whole (a scan's step of its stacked inputs, a seed's entry of stacked
 * params) as one GatherNd of whole rows of x viewed as [n, rest]: tf.slice copies element by element, several times
 * slower (a [128,784] step of a [32,128,784] batch stack, measured).
 */
function sliceLeadingRows([x]: tf.Tensor[], { begin, size }: Params<"slice">): tf.Tensor {
  const X = x!;
  const wholeRows = X.rank >= 2 && size.every((s, i) => i === 0 || s === X.shape[i]);
  if (!wholeRows || size[0] === 0 || X.size === 0) return tf.slice(X, [...begin], [...size]);
  const rows = tf.reshape(X, [X.shape[0]!, X.size / X.shape[0]!]);
  const indices = tf.tensor2d(globalThis.Array.from({ length: size[0]! }, (_, i) => begin[0]! + i), [size[0]!, 1], "int32");
  return tf.reshape(tf.gatherND(rows, indices), [...size]);
}

registerLowerings("wasm", {
  slice: sliceLeadingRows,
  reduce_sum: sumByAvgPool,
  matmul: batchedMatmulAs2d,
  conv_filter_grad: grouped("conv_filter_grad", convFilterGradAsConv),
  conv_transpose: grouped("conv_transpose", convTransposeAsConv),
  broadcast_to: ([x], { shape }) => {
    const out = broadcastByBinaryOp(x!, shape);
    return out === x ? tf.clone(x) : out;
  },
  where: whereBroadcast,
  transpose: ([x], { perm }) => (perm.length === 2 && perm[0] === 1 ? transposeMatrix(x!) : tf.transpose(x!, [...perm])),
  take: ([x, i], { axis }) => (axis === 0 ? tf.gatherND(x!, tf.expandDims(i!, -1)) : tf.gather(x!, i!, axis)),
});

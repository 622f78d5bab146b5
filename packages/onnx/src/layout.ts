import { int, ints, type GraphBuilder, type Value } from "./graph-builder.js";

/**
 * mmx convolutions and pools are NHWC with HWIO filters; ONNX's are NCHW with OIHW filters. Each
 * lowering transposes in and out; onnxruntime's transpose optimizer cancels the pairs that meet
 * between consecutive layers (measured: see the README's performance notes).
 */
export const toNCHW = (b: GraphBuilder, x: string): string => b.nchwOf.get(x) ?? b.op("Transpose", [x], { perm: ints([0, 3, 1, 2]) });
/** NCHW to NHWC; remembers the NCHW original, so that a later toNCHW of the result is that original. */
export const toNHWC = (b: GraphBuilder, x: string): string => {
  const out = b.op("Transpose", [x], { perm: ints([0, 2, 3, 1]) });
  b.nchwOf.set(out, x);
  return out;
};
/** The n x n identity, or with `reversed` the anti-identity, as a Gemm operand. */
function permutationMatrix(b: GraphBuilder, n: number, reversed: boolean): string {
  const m = new Float32Array(n * n);
  for (let i = 0; i < n; i++) m[i * n + (reversed ? n - 1 - i : i)] = 1;
  return b.array(m, [n, n], "float32");
}

/**
 * Filter layouts. onnxruntime runs the 4-D transpose HWIO -> OIHW about 3x slower than a Gemm that
 * moves the KH·KW axis last (a product with the identity: exact, except that a NaN or an infinite
 * weight spreads NaN over its (i, o) filter) followed by an I/O swap that keeps 9-float blocks whole
 * (measured on [3,3,512,512]: 13.6 ms vs 4.6 ms). A Gemm also keeps onnxruntime's transpose
 * optimizer from merging the two steps back into the slow one.
 */
export function hwioToOIHW(b: GraphBuilder, w: Value): string {
  const [kh, kw, ci, co] = w.aval.shape as [number, number, number, number];
  const hw = kh * kw;
  const ioHw = hw === 1 ? w.name : b.op("Gemm", [b.op("Reshape", [w.name, b.int64s([hw, ci * co])]), permutationMatrix(b, hw, false)], { transA: int(1) });
  const oiHw = b.op("Transpose", [b.op("Reshape", [ioHw, b.int64s([ci, co, hw])])], { perm: ints([1, 0, 2]) });
  return b.op("Reshape", [oiHw, b.int64s([co, ci, kh, kw])]);
}

/** HWIO filter to [I, O, KH, KW] with both spatial axes reversed: the filter of the transposed convolution. */
export function hwioToFlippedIOHW(b: GraphBuilder, w: Value): string {
  const [kh, kw, ci, co] = w.aval.shape as [number, number, number, number];
  const hw = kh * kw;
  const flipped = b.op("Gemm", [b.op("Reshape", [w.name, b.int64s([hw, ci * co])]), permutationMatrix(b, hw, true)], { transA: int(1) });
  return b.op("Reshape", [flipped, b.int64s([ci, co, kh, kw])]);
}

/** ONNX pads for two spatial axes: [top, left, bottom, right]. */
export const onnxPads = (p: readonly (readonly [number, number])[]): number[] => [p[0]![0], p[1]![0], p[0]![1], p[1]![1]];

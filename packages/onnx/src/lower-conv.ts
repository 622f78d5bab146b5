import { ShapedArray, type Params } from "@mmx/core";
import { int, ints, type Attr, type GraphBuilder, type Value } from "./graph-builder.js";
import { hwioToFlippedIOHW, hwioToOIHW, onnxPads, toNCHW, toNHWC } from "./layout.js";

/**
 * The convolution family: the forward conv and its two adjoints, written with standard ONNX ops
 * (onnxruntime's npm build registers no training kernels such as ConvGrad). Feature groups are ONNX's
 * `group` on Conv and ConvTranspose (one kernel for S vmapped models); the filter gradient's Gemms become
 * one batched MatMul over the groups.
 */

/**
 * How the filter gradient is computed. `im2col`: one Gemm over all taps' strided slices concatenated
 * along channels; `taps`: one Gemm per filter tap (no concatenation); `conv`: a Conv over batch /
 * channel-swapped operands. `auto` (default) takes im2col below 16 input channels and taps from 16
 * on, as measured fastest on both sides of that line (README: performance notes).
 */
export type FilterGradStrategy = "auto" | "im2col" | "taps" | "conv";
/** How the input gradient is computed: stride-1 as a convolution with the flipped filter, or always ConvTranspose. */
export type InputGradStrategy = "flip" | "convtranspose";

export interface ConvLoweringOptions {
  readonly filterGrad: FilterGradStrategy;
  readonly inputGrad: InputGradStrategy;
}

export const DEFAULT_CONV_OPTIONS: ConvLoweringOptions = { filterGrad: "auto", inputGrad: "flip" };

/** conv, with an optional bias [Co] added by the Conv node itself. */
export function lowerConv(b: GraphBuilder, [x, w]: readonly Value[], p: Params<"conv">, bias?: Value): string {
  const out = b.op("Conv", [toNCHW(b, x!.name), hwioToOIHW(b, w!), ...(bias ? [bias.name] : [])], {
    strides: ints(p.strides),
    pads: ints(onnxPads(p.padding)),
    dilations: ints(p.dilation),
    ...groupAttr(p.groups),
  });
  return toNHWC(b, out);
}

/** ONNX's group attribute, written only where it is not its default 1. */
const groupAttr = (groups: number): Record<string, Attr> => (groups === 1 ? {} : { group: int(groups) });

/**
 * A grouped filter [KH,KW,Ci/G,Co] rearranged so that hwioToFlippedIOHW makes the grouped Conv filter of the
 * input gradient, [Ci, Co/G, KH, KW]: output channel (g, c) of group g reads cotangent channel (g, o) at
 * w[.., c, (g, o)]. That is the HWIO filter [KH, KW, G·Ci/G, Co/G] with w'[.., (g, c), o] = w[.., c, (g, o)].
 */
function groupedFilterForFlip(b: GraphBuilder, w: Value, groups: number): Value {
  if (groups === 1) return w;
  const [kh, kw, ci, co] = w.aval.shape as [number, number, number, number];
  const split = b.op("Reshape", [w.name, b.int64s([kh, kw, ci, groups, co / groups])]);
  const swapped = b.op("Transpose", [split], { perm: ints([0, 1, 3, 2, 4]) });
  return { name: b.op("Reshape", [swapped, b.int64s([kh, kw, groups * ci, co / groups])]), aval: new ShapedArray([kh, kw, groups * ci, co / groups], w.aval.dtype) };
}

/** The input gradient of conv: ct [N,OH,OW,Co], w [KH,KW,Ci,Co] -> [N,H,W,Ci]. */
export function lowerConvTranspose(b: GraphBuilder, [ct, w]: readonly Value[], p: Params<"conv_transpose">, opts: ConvLoweringOptions): string {
  const [kh, kw] = w!.aval.shape as [number, number];
  const [, h, wd] = p.inputShape as [number, number, number];
  const [, oh, ow] = ct!.aval.shape as [number, number, number];
  const [sh, sw] = p.strides;
  const [dh, dw] = p.dilation;
  const [[pt, pb], [pl, pr]] = p.padding;
  const ctNCHW = toNCHW(b, ct!.name);
  // Stride 1: the gradient is a plain convolution of the cotangent with the flipped, I/O-swapped filter.
  const lows = [(kh - 1) * dh - pt, (kw - 1) * dw - pl];
  const highs = [(kh - 1) * dh - pb, (kw - 1) * dw - pr];
  if (opts.inputGrad === "flip" && sh === 1 && sw === 1 && [...lows, ...highs].every((v) => v >= 0)) {
    // strides written out although 1 is ONNX's default: onnxruntime-web's WebGPU Conv requires the attribute.
    const filter = hwioToFlippedIOHW(b, groupedFilterForFlip(b, w!, p.groups));
    const out = b.op("Conv", [ctNCHW, filter], { strides: ints([1, 1]), pads: ints([lows[0]!, lows[1]!, highs[0]!, highs[1]!]), dilations: ints([dh, dw]), ...groupAttr(p.groups) });
    return toNHWC(b, out);
  }
  // Rows of the padded input that no window reached get zeros through output_padding.
  const extra = (size: number, out: number, k: number, s: number, d: number, lo: number, hi: number) => size + lo + hi - (s * (out - 1) + (k - 1) * d + 1);
  const outputPadding = [extra(h, oh, kh, sh, dh, pt, pb), extra(wd, ow, kw, sw, dw, pl, pr)];
  const out = b.op("ConvTranspose", [ctNCHW, hwioToOIHW(b, w!)], {
    strides: ints(p.strides),
    pads: ints(onnxPads(p.padding)),
    dilations: ints(p.dilation),
    output_padding: ints(outputPadding),
    ...groupAttr(p.groups),
  });
  return toNHWC(b, out);
}

/**
 * The filter gradient of conv: x [N,H,W,Ci], ct [N,OH,OW,Co] -> [KH,KW,Ci,Co], that is
 * dW[i,j,c,o] = sum over n,oh,ow of xpad[n, oh·s + i·d, ow·s + j·d, c] · ct[n,oh,ow,o]; with G groups,
 * c runs over group g's Ci/G channels of x for the o of group g, and the filter is [KH,KW,Ci/G,Co].
 */
export function lowerConvFilterGrad(b: GraphBuilder, [x, ct]: readonly Value[], p: Params<"conv_filter_grad">, opts: ConvLoweringOptions): string {
  const [kh, kw, ci, co] = p.filterShape as [number, number, number, number];
  const [n, h, wd] = x!.aval.shape as [number, number, number, number];
  const groups = p.groups;
  const [, oh, ow] = ct!.aval.shape as [number, number, number];
  const [sh, sw] = p.strides;
  const [dh, dw] = p.dilation;
  const [[pt], [pl]] = p.padding;
  // The padded extent that windows reach; rows or columns past it are cut off.
  const needH = (kh - 1) * dh + (oh - 1) * sh + 1;
  const needW = (kw - 1) * dw + (ow - 1) * sw + 1;
  const bottom = needH - h - pt;
  const right = needW - wd - pl;
  const [hs, ws] = [h + Math.min(bottom, 0), wd + Math.min(right, 0)];
  let xs = x!.name;
  if (bottom < 0 || right < 0) {
    xs = b.op("Slice", [xs, b.int64s([0, 0]), b.int64s([hs, ws]), b.int64s([1, 2])]);
  }
  const padH: [number, number] = [pt, Math.max(bottom, 0)];
  const padW: [number, number] = [pl, Math.max(right, 0)];

  const strategy = opts.filterGrad === "auto" ? (ci < 16 ? "im2col" : "taps") : opts.filterGrad;
  if (strategy === "conv") {
    // The batch axis becomes the channel axis, the forward stride the dilation (wasm's formulation). With
    // groups, x's channels [G, Ci/G] put G before N: channel (g, n) of the batch-swapped input is group g's.
    const lhs = groups === 1
      ? b.op("Transpose", [xs], { perm: ints([3, 0, 1, 2]) }) // [Ci, N, H, W]
      : b.op("Reshape", [b.op("Transpose", [b.op("Reshape", [xs, b.int64s([0, 0, 0, groups, ci])])], { perm: ints([4, 3, 0, 1, 2]) }), b.int64s([ci, groups * n, hs, ws])]); // [Ci/G, G·N, H, W]
    const rhs = b.op("Transpose", [ct!.name], { perm: ints([3, 0, 1, 2]) }); // [Co, N, OH, OW]
    const out = b.op("Conv", [lhs, rhs], { strides: ints(p.dilation), dilations: ints(p.strides), pads: ints([padH[0], padW[0], padH[1], padW[1]]), ...groupAttr(groups) });
    return b.op("Transpose", [out], { perm: ints([2, 3, 0, 1]) }); // [KH, KW, Ci/G, Co]
  }

  // im2col: one strided slice of the padded input per filter tap.
  const padded = padH[0] + padH[1] + padW[0] + padW[1] > 0 ? b.op("Pad", [xs, b.int64s([0, padH[0], padW[0], 0, 0, padH[1], padW[1], 0])]) : xs;
  const rows = n * oh * ow;
  const taps: string[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const starts = [i * dh, j * dw];
      const ends = [i * dh + (oh - 1) * sh + 1, j * dw + (ow - 1) * sw + 1];
      taps.push(b.op("Slice", [padded, b.int64s(starts), b.int64s(ends), b.int64s([1, 2]), b.int64s([sh, sw])])); // [N, OH, OW, Ci]
    }
  }
  if (groups > 1) return groupedFilterGradFromTaps(b, taps, ct!.name, { kh, kw, ci, co, rows, groups }, strategy);
  const ct2 = b.op("Reshape", [ct!.name, b.int64s([rows, co])]);
  if (strategy === "taps") {
    // One Gemm per tap: [Ci, rows] @ [rows, Co].
    const grads = taps.map((t) => b.op("Gemm", [b.op("Reshape", [t, b.int64s([rows, ci])]), ct2], { transA: { int: 1 } }));
    const stacked = b.concat(grads, 0);
    return b.op("Reshape", [stacked, b.int64s([kh, kw, ci, co])]);
  }
  const patches = b.concat(taps, 3); // [N, OH, OW, KH·KW·Ci]
  const cols = b.op("Reshape", [patches, b.int64s([rows, kh * kw * ci])]);
  const grad = b.op("Gemm", [cols, ct2], { transA: { int: 1 } }); // [KH·KW·Ci, Co]
  return b.op("Reshape", [grad, b.int64s([kh, kw, ci, co])]);
}

/**
 * The grouped filter gradient from the taps (each [N, OH, OW, G·Ci/G]): the ungrouped Gemms as one MatMul
 * batched over the groups, group g's x channels against group g's cotangent channels only.
 */
function groupedFilterGradFromTaps(
  b: GraphBuilder,
  taps: readonly string[],
  ct: string,
  { kh, kw, ci, co, rows, groups }: { kh: number; kw: number; ci: number; co: number; rows: number; groups: number },
  strategy: "im2col" | "taps",
): string {
  const cg = co / groups;
  const ctG = b.op("Transpose", [b.op("Reshape", [ct, b.int64s([rows, groups, cg])])], { perm: ints([1, 0, 2]) }); // [G, rows, Co/G]
  // [G, KH·KW, Ci/G, Co/G] or [KH·KW, G, Ci/G, Co/G] back to the HWIO filter [KH, KW, Ci/G, G·Co/G].
  const toFilter = (grad: string, tapsFirst: boolean) =>
    b.op("Reshape", [b.op("Transpose", [b.op("Reshape", [grad, b.int64s(tapsFirst ? [kh * kw, groups, ci, cg] : [groups, kh * kw, ci, cg])])], { perm: ints(tapsFirst ? [0, 2, 1, 3] : [1, 2, 0, 3]) }), b.int64s([kh, kw, ci, co])]);
  if (strategy === "taps") {
    // One batched MatMul per tap: [G, Ci/G, rows] @ [G, rows, Co/G].
    const grads = taps.map((t) => b.op("MatMul", [b.op("Transpose", [b.op("Reshape", [t, b.int64s([rows, groups, ci])])], { perm: ints([1, 2, 0]) }), ctG]));
    return toFilter(b.concat(grads, 0), true); // [KH·KW·G, Ci/G, Co/G]
  }
  const patches = b.op("Reshape", [b.concat(taps, 3), b.int64s([rows, kh * kw, groups, ci])]);
  const cols = b.op("Reshape", [b.op("Transpose", [patches], { perm: ints([2, 1, 3, 0]) }), b.int64s([groups, kh * kw * ci, rows])]);
  return toFilter(b.op("MatMul", [cols, ctG]), false); // [G, KH·KW·Ci/G, Co/G]
}

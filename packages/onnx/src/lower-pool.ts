import type { Params, PoolParams } from "@mmx/core";
import { DataType } from "./proto.js";
import { int, ints, type GraphBuilder, type Value } from "./graph-builder.js";
import { onnxPads, toNCHW, toNHWC } from "./layout.js";

/**
 * NHWC pools with mmx's semantics: explicit padding, averages over the real (unpadded) cells only,
 * and max-pool gradients routed to each window's first maximum, as the tfjs lowerings do.
 */

const isValid = (p: PoolParams) => p.padding.every(([a, b]) => a === 0 && b === 0);
const poolAttrs = (p: PoolParams) => ({ kernel_shape: ints(p.window), strides: ints(p.strides), pads: ints(onnxPads(p.padding)) });

export function lowerAvgPool(b: GraphBuilder, [x]: readonly Value[], p: Params<"avg_pool">): string {
  return toNHWC(b, b.op("AveragePool", [toNCHW(b, x!.name)], { ...poolAttrs(p), count_include_pad: int(0) }));
}

export function lowerMaxPool(b: GraphBuilder, [x]: readonly Value[], p: Params<"max_pool">): string {
  return toNHWC(b, b.op("MaxPool", [toNCHW(b, x!.name)], poolAttrs(p)));
}

/**
 * The flat NHWC index (batch included) of each window's first maximum. onnxruntime's MaxPool gives
 * flat NCHW indices (first maximum in row-major window order, padding skipped); they are renumbered.
 */
export function lowerMaxPoolArgmax(b: GraphBuilder, [x]: readonly Value[], p: Params<"max_pool_argmax">): string {
  const [, h, w, c] = x!.aval.shape as [number, number, number, number];
  const [, indices] = b.node("MaxPool", [toNCHW(b, x!.name)], { ...poolAttrs(p), storage_order: int(0) }, 2) as [string, string];
  const hw = b.int64s([h * w]);
  const cc = b.int64s([c]);
  const spatial = b.op("Mod", [indices, hw]);
  const nc = b.op("Div", [indices, hw]);
  const batch = b.op("Div", [nc, cc]);
  const channel = b.op("Mod", [nc, cc]);
  const nhwc = b.op("Add", [b.op("Mul", [b.op("Add", [b.op("Mul", [batch, hw]), spatial]), cc]), channel]);
  return b.op("Cast", [toNHWC(b, nhwc)], { to: int(DataType.INT32) });
}

/** Kh·Kw / (number of real cells) of each output window: the rescaling that leaves padding out of averages. */
function windowScale(inputHW: readonly number[], outHW: readonly number[], p: PoolParams): Float32Array {
  const along = (size: number, out: number, k: number, s: number, lo: number) =>
    Float64Array.from({ length: out }, (_, o) => {
      const start = o * s - lo;
      return Math.min(start + k, size) - Math.max(start, 0);
    });
  const rows = along(inputHW[0]!, outHW[0]!, p.window[0], p.strides[0], p.padding[0][0]);
  const cols = along(inputHW[1]!, outHW[1]!, p.window[1], p.strides[1], p.padding[1][0]);
  const scale = new Float32Array(rows.length * cols.length);
  rows.forEach((r, i) => cols.forEach((cnt, j) => (scale[i * cols.length + j] = 1 / (r * cnt))));
  return scale;
}

/** The adjoint of avg_pool: each cotangent spread evenly over the real cells of its window. */
export function lowerAvgPoolGrad(b: GraphBuilder, [ct]: readonly Value[], p: Params<"avg_pool_grad">): string {
  const [n, h, w, c] = p.inputShape as [number, number, number, number];
  const [kh, kw] = p.window;
  const [sh, sw] = p.strides;
  const [, oh, ow] = ct!.aval.shape as [number, number, number];
  if (isValid(p) && sh === kh && sw === kw) {
    // Disjoint windows: broadcast each cotangent over its window, zeros for the cells no window covers.
    const scaled = b.op("Mul", [ct!.name, b.scalar(1 / (kh * kw), "float32")]);
    const spread = b.op("Expand", [b.op("Reshape", [scaled, b.int64s([n, oh, 1, ow, 1, c])]), b.int64s([n, oh, kh, ow, kw, c])]);
    const covered = b.op("Reshape", [spread, b.int64s([n, oh * kh, ow * kw, c])]);
    if (oh * kh === h && ow * kw === w) return covered;
    return b.op("Pad", [covered, b.int64s([0, 0, 0, 0, 0, h - oh * kh, w - ow * kw, 0])]);
  }
  // General windows: a depthwise ConvTranspose with a filter of ones, after dividing by the window counts.
  const scale = b.array(windowScale([h, w], [oh, ow], p), [1, oh, ow, 1], "float32");
  const scaled = b.op("Mul", [ct!.name, scale]);
  const ones = b.array(new Float32Array(c * kh * kw).fill(1), [c, 1, kh, kw], "float32");
  const [[pt, pb], [pl, pr]] = p.padding;
  const outputPadding = [h + pt + pb - (sh * (oh - 1) + kh), w + pl + pr - (sw * (ow - 1) + kw)];
  const dx = b.op("ConvTranspose", [toNCHW(b, scaled), ones], {
    group: int(c),
    kernel_shape: ints(p.window),
    strides: ints(p.strides),
    pads: ints(onnxPads(p.padding)),
    output_padding: ints(outputPadding),
  });
  return toNHWC(b, dx);
}

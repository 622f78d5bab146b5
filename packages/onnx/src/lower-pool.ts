import { windowCellCounts, type Params, type PoolParams } from "@mmx/core";
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

/** 1 / (number of real cells) of each output window: how much of its cotangent each real cell receives. */
function windowScale(inputHW: readonly number[], outHW: readonly number[], p: PoolParams): Float32Array {
  const { rows, cols } = windowCellCounts(inputHW, outHW, p);
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
  const ones = b.fill([c, 1, kh, kw], 1);
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

/**
 * The VJP of max_pool for disjoint windows (stride = window), fused: the cotangent of each window
 * goes to its first maximum (row-major within the window; padding is never chosen). Each of the
 * kh·kw window positions is one strided slice of x, compared with the pooled maximum; the cotangent
 * that no earlier position took goes where the comparison holds, and what remains for the later
 * positions is zero there. Two Wheres per position on quarter-size tensors: no indices, no scatter,
 * no 6-D transposes (which onnxruntime runs slowly), and no logic between two bool tensors
 * (onnxruntime-web's WebGPU provider (1.30) computes a second And/Or/Xor of two bool tensors in one
 * session from the first's data). Where, not a product: a non-finite cotangent reaches the first
 * maximum only. `ct` is the flat cotangent, `pooled` the forward max_pool of x when the program has
 * it; the result is flat like x.
 */
export function lowerMaxPoolRoute(b: GraphBuilder, ct: Value, x: Value, p: PoolParams, pooled: Value | undefined): string {
  const [n, h, w, c] = x.aval.shape as [number, number, number, number];
  const [kh, kw] = p.window;
  const [[pt, pb], [pl, pr]] = p.padding;
  const oh = Math.floor((h + pt + pb - kh) / kh) + 1;
  const ow = Math.floor((w + pl + pr - kw) / kw) + 1;
  let xs = x.name;
  if (pt + pb + pl + pr > 0) xs = b.op("Pad", [xs, b.int64s([0, pt, pl, 0, 0, pb, pr, 0]), b.scalar(-Infinity, "float32")]);
  const max = pooled ? pooled.name : lowerMaxPool(b, [x], { ...p });
  const ct4 = b.op("Reshape", [ct.name, b.int64s([n, oh, ow, c])]);
  const zero = b.scalar(0, "float32");
  let rest = ct4; // the cotangent that no earlier position of its window took
  const rows: string[] = [];
  for (let i = 0; i < kh; i++) {
    const cols: string[] = [];
    for (let j = 0; j < kw; j++) {
      const tap = b.op("Slice", [xs, b.int64s([i, j]), b.int64s([i + (oh - 1) * kh + 1, j + (ow - 1) * kw + 1]), b.int64s([1, 2]), b.int64s([kh, kw])]);
      const isMax = b.op("Equal", [tap, max]);
      cols.push(b.op("Unsqueeze", [b.op("Where", [isMax, rest, zero]), b.int64s([3])])); // [n, oh, ow, 1, c]
      if (i < kh - 1 || j < kw - 1) rest = b.op("Where", [isMax, zero, rest]);
    }
    const row = b.concat(cols, 3); // [n, oh, ow, kw, c]
    rows.push(b.op("Unsqueeze", [row, b.int64s([2])])); // [n, oh, 1, ow, kw, c]
  }
  const stacked = b.concat(rows, 2);
  let grid = b.op("Reshape", [stacked, b.int64s([n, oh * kh, ow * kw, c])]);
  // Back to the unpadded frame: rows pt .. pt+h-1 and columns pl .. pl+w-1 of the padded grid.
  const lackH = Math.max(0, pt + h - oh * kh);
  const lackW = Math.max(0, pl + w - ow * kw);
  if (lackH + lackW > 0) grid = b.op("Pad", [grid, b.int64s([0, 0, 0, 0, 0, lackH, lackW, 0])]);
  if (pt + pl > 0 || oh * kh + lackH > h || ow * kw + lackW > w) grid = b.op("Slice", [grid, b.int64s([pt, pl]), b.int64s([pt + h, pl + w]), b.int64s([1, 2])]);
  return b.op("Reshape", [grid, b.int64s([n * h * w * c])]);
}

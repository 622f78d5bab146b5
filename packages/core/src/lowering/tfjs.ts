import * as tf from "@tensorflow/tfjs-core";
import type { ConvParams, Padding2D, Params, Primitive } from "../primitives.js";
import { grouped, groupedConv } from "./grouped.js";
import { avgPool, avgPoolGrad, maxPool, maxPoolArgmax } from "./pooling.js";

/**
 * Lowering of each primitive to tfjs kernels. A lowering takes the operand tensors (literals arrive as
 * scalar tensors) and returns one new tensor; temporaries it makes are freed by the caller's scope.
 * `tfjsLowerings` is the default for every tfjs backend; `backendLowerings` overrides entries per
 * backend where a kernel is missing, wrong or slow there (see DESIGN.md's facts about tfjs 4.22).
 */
export type TfLowering<P extends Primitive> = (inputs: tf.Tensor[], params: Params<P>) => tf.Tensor;
export type TfLoweringTable = { readonly [P in Primitive]: TfLowering<P> };
export type TfLoweringOverrides = { readonly [P in Primitive]?: TfLowering<P> };

type Explicit = [[number, number], [number, number], [number, number], [number, number]];

/** NHWC explicit padding in tfjs's layout. */
export function explicitPadding(p: Padding2D): Explicit {
  return [[0, 0], [p[0][0], p[0][1]], [p[1][0], p[1][1]], [0, 0]];
}

const swapLastTwo = (rank: number) => [...globalThis.Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];

/**
 * A matmul without the transposed kernels: transposes are made explicit. Where the right operand is
 * transposed, either it is transposed (then packed by XNNPACK, which repacks a fresh right operand
 * on every call: 2·|B| element moves) or the product is taken the other way round, (B·Aᵀ)ᵀ (|A|
 * transposed and packed, |C| transposed): whichever moves fewer elements. For an MLP's input
 * gradient G·Wᵀ with W 512x512 that is 2.4 ms against 4.2 (measured on wasm).
 */
export function matmulWithExplicitTransposes([a, b]: tf.Tensor[], p: Params<"matmul">): tf.Tensor {
  const T = (x: tf.Tensor) => tf.transpose(x, swapLastTwo(x.rank));
  const [A, B] = [a!, b!];
  if (!p.transposeB) return tf.matMul(p.transposeA ? T(A) : A, B);
  const outSize = (A.size / (p.transposeA ? A.shape[A.rank - 2]! : A.shape[A.rank - 1]!)) * B.shape[B.rank - 2]!;
  const direct = (p.transposeA ? A.size : 0) + 2 * B.size;
  const swapped = (p.transposeA ? 0 : A.size) + A.size + outSize;
  // A batched A against an unbatched B (or the reverse) keeps the direct form: the swap would need
  // a broadcast of the batch.
  if (swapped < direct && A.rank === B.rank) return T(tf.matMul(B, p.transposeA ? A : T(A)));
  return tf.matMul(p.transposeA ? T(A) : A, T(B));
}

function conv({ strides, dilation }: ConvParams, what: string): void {
  if ((strides[0] > 1 || strides[1] > 1) && (dilation[0] > 1 || dilation[1] > 1)) {
    throw new Error(`${what}: tfjs cannot combine strides ${JSON.stringify(strides)} with dilation ${JSON.stringify(dilation)}; use one of them`);
  }
}

const convByGroups = groupedConv(([x, w], p) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, p.strides as [number, number], explicitPadding(p.padding) as never, "NHWC", p.dilation as [number, number]));

/**
 * The filter gradient as an ordinary convolution: the batch axis of x becomes the channel axis, the
 * forward stride becomes the dilation and the forward dilation the stride. Needs no
 * Conv2DBackpropFilter kernel (which wasm lacks).
 */
export function convFilterGradAsConv([x, ct]: tf.Tensor[], p: Params<"conv_filter_grad">): tf.Tensor {
  conv(p, "conv_filter_grad");
  const [kh, kw] = p.filterShape as [number, number];
  const [[pt, pb], [pl, pr]] = p.padding;
  const [, oh, ow] = ct!.shape as [number, number, number, number];
  let xp = tf.pad(x!, [[0, 0], [pt, pb], [pl, pr], [0, 0]]);
  // Keep only the rows and columns some window touched.
  const needH = (kh - 1) * p.dilation[0] + (oh - 1) * p.strides[0] + 1;
  const needW = (kw - 1) * p.dilation[1] + (ow - 1) * p.strides[1] + 1;
  if (needH < xp.shape[1]! || needW < xp.shape[2]!) xp = tf.slice(xp, [0, 0, 0, 0], [-1, needH, needW, -1]);
  const lhs = tf.transpose(xp, [3, 1, 2, 0]); // [Ci, H, W, N]
  const rhs = tf.transpose(ct!, [1, 2, 0, 3]); // [OH, OW, N, Co]
  const out = tf.conv2d(lhs as tf.Tensor4D, rhs as tf.Tensor4D, p.dilation as [number, number], "valid", "NHWC", p.strides as [number, number]);
  return tf.transpose(out, [1, 2, 0, 3]); // [KH, KW, Ci, Co]
}

/**
 * The input gradient of a convolution. Without dilation it is tfjs's conv2dTranspose; with dilation
 * (which that kernel lacks) it is the convolution below.
 */
function convTranspose(inputs: tf.Tensor[], p: Params<"conv_transpose">): tf.Tensor {
  conv(p, "conv_transpose");
  const [ct, w] = inputs;
  if (p.dilation[0] === 1 && p.dilation[1] === 1) {
    return tf.conv2dTranspose(ct as tf.Tensor4D, w as tf.Tensor4D, p.inputShape as [number, number, number, number], p.strides as [number, number], explicitPadding(p.padding) as never);
  }
  return convTransposeAsConv(inputs, p);
}

/** Crops (negative amounts) or zero-pads rows and columns of an NHWC tensor. */
function padOrCrop(x: tf.Tensor, [top, bottom]: [number, number], [left, right]: [number, number]): tf.Tensor {
  let out = top > 0 || bottom > 0 || left > 0 || right > 0 ? tf.pad(x, [[0, 0], [Math.max(top, 0), Math.max(bottom, 0)], [Math.max(left, 0), Math.max(right, 0)], [0, 0]]) : x;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const begin = [0, Math.max(-top, 0), Math.max(-left, 0), 0];
    const size = [-1, out.shape[1]! - begin[1]! - Math.max(-bottom, 0), out.shape[2]! - begin[2]! - Math.max(-right, 0), -1];
    out = tf.slice(out, begin, size);
  }
  return out;
}

/**
 * Taps of a [KH, KW, Ci, Co] filter, chosen and ordered by `taps` ([row, col] pairs, row-major
 * into a [rows, cols] grid), with input and output channels swapped: [rows, cols, Co, Ci]. The taps
 * are whole Ci·Co rows, gathered as rows (GatherNd), not element by element (tf.reverse on wasm
 * takes 120 ms for a 3x3x512x512 filter, this under 1 ms).
 */
function filterTaps(w: tf.Tensor, taps: readonly (readonly [number, number])[], rows: number, cols: number): tf.Tensor {
  const [kh, kw, ci, co] = w.shape as [number, number, number, number];
  const swapped = tf.transpose(w, [0, 1, 3, 2]);
  const identity = taps.length === kh * kw && taps.every(([r, c], i) => r * kw + c === i);
  if (identity) return tf.reshape(swapped, [rows, cols, co, ci]);
  const index = tf.tensor2d(Int32Array.from(taps, ([r, c]) => r * kw + c), [taps.length, 1], "int32");
  return tf.reshape(tf.gatherND(tf.reshape(swapped, [kh * kw, co * ci]), index), [rows, cols, co, ci]);
}

/**
 * The input gradient of a convolution with the forward convolution kernel only (Conv2DBackpropInput
 * runs 10x slower than it on wasm, measured). With unit strides it is one convolution of the padded
 * cotangent with the spatially flipped filter (channels swapped), at the forward dilation. With
 * strides s it is split by output phase: the rows i ≡ r (mod s) only meet the taps k ≡ r + pad
 * (mod s), so each phase is a unit-stride convolution with that subset of the filter (s² smaller
 * convolutions doing together the work of one, where spreading the cotangent with zeros would
 * multiply it by s²), and the phases are interleaved into the result.
 */
export function convTransposeAsConv([ct, w]: tf.Tensor[], p: Params<"conv_transpose">): tf.Tensor {
  conv(p, "conv_transpose");
  const [kh, kw] = w!.shape as [number, number];
  const [sh, sw] = p.strides;
  const [dh, dw] = p.dilation;
  const [[pt], [pl]] = p.padding;
  const [n, h, wd, ci] = p.inputShape as [number, number, number, number];
  const [, oh, ow] = ct!.shape as [number, number, number, number];
  const grid = (rows: readonly number[], cols: readonly number[]) => rows.flatMap((r) => cols.map((c) => [r, c] as const));
  const reversed = (k: number) => globalThis.Array.from({ length: k }, (_, i) => k - 1 - i);
  if (sh === 1 && sw === 1) {
    // Input row i reads cotangent rows i + pt - (kh-1)·dh ...: pad (kh-1)·dh - pt before, and after
    // what makes h rows (negative amounts crop).
    const padded = padOrCrop(ct!, [(kh - 1) * dh - pt, h + pt - oh], [(kw - 1) * dw - pl, wd + pl - ow]);
    const flipped = filterTaps(w!, grid(reversed(kh), reversed(kw)), kh, kw);
    return tf.conv2d(padded as tf.Tensor4D, flipped as tf.Tensor4D, 1, "valid", "NHWC", [dh, dw]);
  }
  // Per axis and phase r: taps k = k0 + j·s (k0 = (r + pad) mod s), read in reverse, cotangent
  // offset c = (r + pad - k0) / s; q runs over the ceil(size / s) rows of the interleaved grid.
  const phases = (size: number, k: number, s: number, pad: number) =>
    globalThis.Array.from({ length: s }, (_, r) => {
      const k0 = (r + pad) % s;
      const taps = globalThis.Array.from({ length: Math.max(0, Math.ceil((k - k0) / s)) }, (_, j) => k0 + j * s).reverse();
      const offset = (r + pad - k0) / s;
      return { taps, low: taps.length - 1 - offset, count: Math.ceil(size / s) };
    });
  const rowsP = phases(h, kh, sh, pt);
  const colsP = phases(wd, kw, sw, pl);
  const qh = rowsP[0]!.count;
  const qw = colsP[0]!.count;
  const rowBlocks = rowsP.map((rp) => {
    const cells = colsP.map((cp) => {
      if (rp.taps.length === 0 || cp.taps.length === 0) return tf.zeros([n, qh, qw, ci]);
      const padded = padOrCrop(ct!, [rp.low, qh + rp.taps.length - 1 - rp.low - oh], [cp.low, qw + cp.taps.length - 1 - cp.low - ow]);
      const sub = filterTaps(w!, grid(rp.taps, cp.taps), rp.taps.length, cp.taps.length);
      return tf.conv2d(padded as tf.Tensor4D, sub as tf.Tensor4D, 1, "valid");
    });
    // [N, qh, qw, sw, C] -> [N, qh, qw·sw, C]: the columns of this row phase interleaved.
    return tf.reshape(tf.stack(cells, 3), [n, qh, qw * sw, ci]);
  });
  const interleaved = tf.reshape(tf.stack(rowBlocks, 2), [n, qh * sh, qw * sw, ci]);
  return qh * sh === h && qw * sw === wd ? interleaved : tf.slice(interleaved, [0, 0, 0, 0], [n, h, wd, ci]);
}

/**
 * max_pool_argmax on the host, as pooling.ts's maxPoolArgmax defines it (the flat index of each
 * window's first maximum; a window whose first cell is NaN keeps it), with a fast path for windows
 * that tile the input (stride = window, no padding, as 2x2 pools are): one pass in memory order
 * over whole channel rows, no bounds checks. 4-5x faster on the small CNN's pools (measured).
 */
function maxPoolArgmaxTiled(inputs: tf.Tensor[], p: Params<"max_pool_argmax">): tf.Tensor {
  const x = inputs[0]!;
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const [kh, kw] = p.window;
  const tiles = p.strides[0] === kh && p.strides[1] === kw && p.padding.every(([a, b]) => a === 0 && b === 0) && h % kh === 0 && w % kw === 0;
  if (!tiles) return maxPoolArgmax(inputs, p);
  const values = x.dataSync() as Float32Array;
  const oh = h / kh;
  const ow = w / kw;
  const out = new Int32Array(n * oh * ow * c);
  const best = new Float32Array(c);
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++, o += c) {
        const first = ((b * h + i * kh) * w + j * kw) * c;
        for (let ch = 0; ch < c; ch++) {
          best[ch] = values[first + ch]!;
          out[o + ch] = first + ch;
        }
        for (let di = 0; di < kh; di++) {
          for (let dj = di === 0 ? 1 : 0; dj < kw; dj++) {
            const cell = first + (di * w + dj) * c;
            for (let ch = 0; ch < c; ch++) {
              const v = values[cell + ch]!;
              if (v > best[ch]!) {
                best[ch] = v;
                out[o + ch] = cell + ch;
              }
            }
          }
        }
      }
    }
  }
  return tf.tensor4d(out, [n, oh, ow, c], "int32");
}

/** Scatter-add along an axis as one ScatterNd over the flattened index list (duplicates add up). */
function scatterAdd([updates, indices]: tf.Tensor[], { axis, size }: Params<"scatter_add">): tf.Tensor {
  const u = updates!;
  const k = indices!.rank;
  const pre = u.shape.slice(0, axis);
  const post = u.shape.slice(axis + k);
  const mid = globalThis.Array.from({ length: k }, (_, i) => axis + i);
  const rest = [...globalThis.Array.from({ length: axis }, (_, i) => i), ...globalThis.Array.from({ length: u.rank - axis - k }, (_, i) => axis + k + i)];
  const front = tf.transpose(u, [...mid, ...rest]);
  const restSize = [...pre, ...post].reduce((a, b) => a * b, 1);
  const rows = tf.reshape(front, [indices!.size, restSize]);
  const summed = tf.scatterND(tf.reshape(indices!, [indices!.size, 1]), rows, [size, restSize]);
  const shaped = tf.reshape(summed, [size, ...pre, ...post]);
  // Move the scattered axis back to `axis`.
  const back = [...globalThis.Array.from({ length: axis }, (_, i) => i + 1), 0, ...globalThis.Array.from({ length: post.length }, (_, i) => axis + 1 + i)];
  return axis === 0 ? shaped : tf.transpose(shaped, back);
}

export const tfjsLowerings: TfLoweringTable = {
  neg: ([x]) => tf.neg(x!),
  exp: ([x]) => tf.exp(x!),
  log: ([x]) => tf.log(x!),
  log1p: ([x]) => tf.log1p(x!),
  tanh: ([x]) => tf.tanh(x!),
  logistic: ([x]) => tf.sigmoid(x!),
  sqrt: ([x]) => tf.sqrt(x!),
  rsqrt: ([x]) => tf.rsqrt(x!),
  abs: ([x]) => tf.abs(x!),
  sign: ([x]) => tf.sign(x!),
  erf: ([x]) => tf.erf(x!),
  sin: ([x]) => tf.sin(x!),
  cos: ([x]) => tf.cos(x!),
  relu: ([x]) => tf.relu(x!),
  add: ([a, b]) => tf.add(a!, b!),
  sub: ([a, b]) => tf.sub(a!, b!),
  mul: ([a, b]) => tf.mul(a!, b!),
  div: ([a, b]) => tf.div(a!, b!),
  pow: ([a, b]) => tf.pow(a!, b!),
  maximum: ([a, b]) => tf.maximum(a!, b!),
  minimum: ([a, b]) => tf.minimum(a!, b!),
  equal: ([a, b]) => tf.equal(a!, b!),
  less: ([a, b]) => tf.less(a!, b!),
  greater: ([a, b]) => tf.greater(a!, b!),
  less_equal: ([a, b]) => tf.lessEqual(a!, b!),
  greater_equal: ([a, b]) => tf.greaterEqual(a!, b!),
  where: ([c, a, b]) => tf.where(c!, a!, b!),
  convert_element_type: ([x], { dtype }) => tf.cast(x!, dtype),
  reduce_sum: ([x], { axes }) => (axes.length === 0 ? tf.clone(x!) : tf.sum(x!, [...axes])),
  reduce_max: ([x], { axes }) => (axes.length === 0 ? tf.clone(x!) : tf.max(x!, [...axes])),
  reduce_min: ([x], { axes }) => (axes.length === 0 ? tf.clone(x!) : tf.min(x!, [...axes])),
  argmax: ([x], { axis }) => tf.argMax(x!, axis),
  reshape: ([x], { shape }) => tf.reshape(x!, [...shape]),
  transpose: ([x], { perm }) => tf.transpose(x!, [...perm]),
  broadcast_to: ([x], { shape }) => tf.broadcastTo(x!, [...shape]),
  concatenate: (xs, { axis }) => (xs.length === 1 ? tf.clone(xs[0]!) : tf.concat(xs, axis)),
  slice: ([x], { begin, size }) => tf.slice(x!, [...begin], [...size]),
  pad: ([x], { widths, value }) => tf.pad(x!, widths.map(([a, b]) => [a, b] as [number, number]), value),
  take: ([x, i], { axis }) => tf.gather(x!, i!, axis),
  scatter_add: scatterAdd,
  // tfjs's oneHot needs depth >= 2 (depth 1 is "is the label 0"), and wasm's writes int32 bits into a
  // float32 result: so build int32 and convert.
  one_hot: ([i], { depth }) => tf.cast(depth === 1 ? tf.expandDims(tf.equal(i!, 0), -1) : tf.oneHot(i as tf.Tensor1D, depth), "float32"),
  matmul: ([a, b], p) => tf.matMul(a!, b!, p.transposeA, p.transposeB),
  // tfjs has no feature groups: grouped convolutions run group by group (or depthwise), see grouped.ts.
  conv: (inputs, p) => {
    conv(p, "conv");
    return convByGroups(inputs, p);
  },
  conv_transpose: grouped("conv_transpose", convTranspose),
  // As a convolution everywhere: tfjs-cpu's Conv2DBackpropFilter measured ~90x slower than its forward
  // conv (9.8 s for x [2,32,32,64], w [3,3,64,64]), and wasm has none.
  conv_filter_grad: grouped("conv_filter_grad", convFilterGradAsConv),
  avg_pool: avgPool,
  avg_pool_grad: avgPoolGrad,
  max_pool: maxPool,
  max_pool_argmax: maxPoolArgmaxTiled,
  tag: ([x]) => x!,
  stop_gradient: ([x]) => x!,
};

/**
 * Per-backend departures from the defaults, each for a measured reason, one file per backend
 * (wasm.ts, webgpu.ts): registered here by the backend modules.
 */
const backendLowerings: Record<string, TfLoweringOverrides> = {};

export function registerLowerings(backend: string, overrides: TfLoweringOverrides): void {
  backendLowerings[backend] = { ...backendLowerings[backend], ...overrides };
}

export function tfjsLowering<P extends Primitive>(primitive: P, backend: string): TfLowering<P> {
  const override = backendLowerings[backend]?.[primitive] as TfLowering<P> | undefined;
  return override ?? (tfjsLowerings[primitive] as TfLowering<P>);
}

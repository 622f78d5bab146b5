import * as tf from "@tensorflow/tfjs-core";
import type { Params } from "../primitives.js";
import { grouped } from "./grouped.js";
import { avgPoolGrad } from "./pooling.js";
import { convFilterGradAsConv, explicitPadding, registerLowerings } from "./tfjs.js";
import { spatialOut } from "../spatial.js";

/**
 * tfjs-webgpu 4.22 (on Dawn). It has the gather gradient that wasm lacks (UnsortedSegmentSum): correct, but 2-3x
 * slower than the ScatterNd that the default scatter_add uses (measured on lavapipe: [4096,512] rows into 1000, 273
 * vs 120 ms; [128,512] into 128, 8.9 vs 4.4 ms), so scatter_add keeps the default. Departures, each for a measured
 * reason:
 * - conv_filter_grad: its Conv2DBackpropFilter (which wasm lacks), where the default computes the filter gradient
 *   as a convolution. Measured on lavapipe (3x3 SAME, ms, native vs as-conv): a first layer, x [128,32,32,3] -> 16
 *   channels, 334 vs 1049; middle layers [32,28,28,16] -> 32, 767 vs 651, and [32,14,14,32] -> 64, 544 vs 468;
 *   stride 2, 186 vs 187. A few percent lost on some layers for 3x on the first one; dilated filters (which the kernel
 *   does not take) stay a convolution.
 * - convert_element_type and one_hot to float32: tfjs-webgpu's Cast from int32/bool to float32 only relabels the
 *   int32 buffer as float32 ("no encoding loss"). Kernels that read their input through a converting getter cope,
 *   but its Transpose copies the raw i32 into an f32 output: that shader fails to compile, and Dawn then drops the
 *   whole command buffer it was recorded in, so unrelated results come back stale (measured: reduce_min's gradient,
 *   which sums a cast mask over non-inner axes, read other arrays' values). Adding 0 makes a real float32 buffer.
 * - argmax: reducing a 1-d input gives shape [1] instead of a scalar; reshaped.
 * - max_pool_argmax: the default computes the index on the host, which needs a synchronous read (none in Node).
 *   tfjs's own MaxPoolWithArgmax keeps the last of tied maxima (`value >= max`) where the other backends keep the
 *   first, and takes no explicit padding; so the index is formed here from its kernels, on the device: the first
 *   maximum in row-major window order, as on the host.
 * - avg_pool_grad with non-overlapping windows: the default spreads the cotangent with a rank-6 broadcast, and
 *   tfjs-webgpu's Tile runs rank >= 5 on the host, reading the input synchronously (impossible in Node). Its own
 *   AvgPoolGrad kernel does it on the device; other windows take the default (AvgPoolGrad on explicit padding).
 */

/** A float32 copy with float32 storage (see above: a plain cast from int32/bool only relabels the buffer). */
function toFloat32(x: tf.Tensor): tf.Tensor {
  return x.dtype === "float32" ? tf.clone(x) : tf.add(tf.cast(x, "float32"), tf.scalar(0));
}

/** Marks a window cell that lies in the padding; larger than any real flat index (these are checked < 2^30). */
const OUTSIDE = 2 ** 30;

function maxPoolArgmaxOnDevice([x]: tf.Tensor[], p: Params<"max_pool_argmax">): tf.Tensor {
  const [n, h, w, c] = x!.shape as [number, number, number, number];
  if (n * h * w * c >= OUTSIDE) throw new RangeError(`max_pool_argmax: f32[${x!.shape.join(",")}] has too many elements for int32 indices on webgpu`);
  const [kh, kw] = p.window;
  const [sh, sw] = p.strides;
  const [[pt, pb], [pl, pr]] = p.padding;
  const oh = spatialOut(h, kh, sh, 1, [pt, pb]);
  const ow = spatialOut(w, kw, sw, 1, [pl, pr]);
  const padded = tf.pad(x!, [[0, 0], [pt, pb], [pl, pr], [0, 0]], -Infinity);
  const max = tf.maxPool(padded as tf.Tensor4D, [kh, kw], [sh, sw], "valid");
  // flat index = b·h·w·c + (r·w + col)·c + ch: a batch-and-channel part and a spatial part per window cell.
  const batchAndChannel = tf.add(
    tf.tensor4d(Int32Array.from({ length: n }, (_, b) => b * h * w * c), [n, 1, 1, 1], "int32"),
    tf.tensor4d(Int32Array.from({ length: c }, (_, ch) => ch), [1, 1, 1, c], "int32"),
  );
  let best: tf.Tensor | null = null;
  // For windows where no cell equals the max (NaN): the first real cell, as the host version picks.
  const firstReal = new Int32Array(oh * ow).fill(OUTSIDE);
  for (let di = 0; di < kh; di++) {
    for (let dj = 0; dj < kw; dj++) {
      const spatial = new Int32Array(oh * ow);
      for (let i = 0; i < oh; i++) {
        const r = i * sh - pt + di;
        for (let j = 0; j < ow; j++) {
          const col = j * sw - pl + dj;
          const at = r >= 0 && r < h && col >= 0 && col < w ? (r * w + col) * c : OUTSIDE;
          spatial[i * ow + j] = at;
          if (firstReal[i * ow + j] === OUTSIDE) firstReal[i * ow + j] = at;
        }
      }
      const cell = tf.stridedSlice(padded, [0, di, dj, 0], [n, di + (oh - 1) * sh + 1, dj + (ow - 1) * sw + 1, c], [1, sh, sw, 1]);
      const index = tf.add(batchAndChannel, tf.tensor4d(spatial, [1, oh, ow, 1], "int32"));
      const candidate = tf.where(tf.equal(cell, max), index, tf.scalar(OUTSIDE, "int32"));
      // Flat indices grow along the window's row-major order, so the smallest is the first maximum.
      best = best === null ? candidate : tf.minimum(best, candidate);
    }
  }
  const fallback = tf.add(batchAndChannel, tf.tensor4d(firstReal, [1, oh, ow, 1], "int32"));
  return tf.where(tf.less(best!, tf.scalar(OUTSIDE, "int32")), best!, fallback);
}

function convFilterGradNative(inputs: tf.Tensor[], p: Params<"conv_filter_grad">): tf.Tensor {
  if (p.dilation[0] > 1 || p.dilation[1] > 1) return convFilterGradAsConv(inputs, p);
  const [x, ct] = inputs;
  return tf.engine().runKernel("Conv2DBackpropFilter", { x: x!, dy: ct! }, {
    strides: p.strides,
    pad: explicitPadding(p.padding),
    dataFormat: "NHWC",
    dimRoundingMode: undefined,
    filterShape: p.filterShape,
  } as never) as tf.Tensor;
}

function avgPoolGradOnDevice(inputs: tf.Tensor[], p: Params<"avg_pool_grad">): tf.Tensor {
  const unpadded = p.padding.every(([a, b]) => a === 0 && b === 0);
  if (!(unpadded && p.strides[0] === p.window[0] && p.strides[1] === p.window[1])) return avgPoolGrad(inputs, p);
  const input = tf.zeros([...p.inputShape]);
  return tf.engine().runKernel("AvgPoolGrad", { dy: inputs[0]!, input }, { filterSize: p.window, strides: p.strides, pad: "valid" } as never) as tf.Tensor;
}

registerLowerings("webgpu", {
  conv_filter_grad: grouped("conv_filter_grad", convFilterGradNative),
  avg_pool_grad: avgPoolGradOnDevice,
  convert_element_type: ([x], { dtype }) => (dtype === "float32" ? toFloat32(x!) : tf.cast(x!, dtype)),
  one_hot: ([i], { depth }) => toFloat32(depth === 1 ? tf.expandDims(tf.equal(i!, 0), -1) : tf.oneHot(i as tf.Tensor1D, depth)),
  argmax: ([x], { axis }) => tf.reshape(tf.argMax(x!, axis), x!.shape.filter((_, i) => i !== axis)),
  max_pool_argmax: maxPoolArgmaxOnDevice,
});

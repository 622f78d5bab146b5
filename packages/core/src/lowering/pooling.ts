import * as tf from "@tensorflow/tfjs-core";
import type { Params, PoolParams } from "../primitives.js";
import { windowCellCounts } from "../pool-windows.js";
import { spatialOut } from "../spatial.js";

/**
 * Pooling lowerings with explicit padding. tfjs pools take only 'valid'/'same'/symmetric pads, and its
 * AvgPoolGrad divides by the full window even where the forward pass left padding out of the average
 * (measured: the gradient of sum(avgPool(x, 2, 1, 'same')) on a 2x2 input comes out 0.25, 0.5, 0.5, 1
 * instead of 0.25, 0.75, 0.75, 2.25). So padding is made explicit here and every average is divided by
 * the number of real cells in its window.
 */

const isValid = (p: PoolParams) => p.padding.every(([a, b]) => a === 0 && b === 0);

function spatialPads(p: PoolParams): [[number, number], [number, number], [number, number], [number, number]] {
  return [[0, 0], [p.padding[0][0], p.padding[0][1]], [p.padding[1][0], p.padding[1][1]], [0, 0]];
}

/** kh·kw / (number of unpadded cells) for each output position, shaped [1, OH, OW, 1]. */
function windowScale(inputHW: readonly number[], outHW: readonly number[], p: PoolParams): tf.Tensor {
  const { rows, cols } = windowCellCounts(inputHW, outHW, p);
  const full = p.window[0] * p.window[1];
  const scale = new Float32Array(rows.length * cols.length);
  rows.forEach((r, i) => cols.forEach((c, j) => (scale[i * cols.length + j] = full / (r * c))));
  return tf.tensor4d(scale, [1, rows.length, cols.length, 1]);
}

export function avgPool([x]: tf.Tensor[], p: Params<"avg_pool">): tf.Tensor {
  const win = p.window as [number, number];
  const strides = p.strides as [number, number];
  if (isValid(p)) return tf.avgPool(x as tf.Tensor4D, win, strides, "valid");
  const padded = tf.pad(x!, spatialPads(p));
  const pooled = tf.avgPool(padded as tf.Tensor4D, win, strides, "valid");
  return tf.mul(pooled, windowScale(x!.shape.slice(1, 3), pooled.shape.slice(1, 3), p));
}

export function avgPoolGrad([ct]: tf.Tensor[], p: Params<"avg_pool_grad">): tf.Tensor {
  const [n, h, w, c] = p.inputShape as [number, number, number, number];
  const [kh, kw] = p.window;
  const [, oh, ow] = ct!.shape as [number, number, number];
  if (isValid(p) && p.strides[0] === kh && p.strides[1] === kw) {
    // Non-overlapping windows: spread each cotangent over its window by broadcasting.
    const spread = tf.broadcastTo(tf.reshape(tf.div(ct!, kh * kw), [n, oh, 1, ow, 1, c]), [n, oh, kh, ow, kw, c]);
    const covered = tf.reshape(spread, [n, oh * kh, ow * kw, c]);
    return tf.pad(covered, [[0, 0], [0, h - oh * kh], [0, w - ow * kw], [0, 0]]);
  }
  const [[pt, pb], [pl, pr]] = p.padding;
  const paddedShape = [n, h + pt + pb, w + pl + pr, c];
  const scaled = isValid(p) ? ct! : tf.mul(ct!, windowScale([h, w], [oh, ow], p));
  const dx = tf.engine().runKernel("AvgPoolGrad", { dy: scaled, input: tf.zeros(paddedShape) }, { filterSize: p.window, strides: p.strides, pad: "valid" } as never) as tf.Tensor;
  return isValid(p) ? dx : tf.slice(dx, [0, pt, pl, 0], [n, h, w, c]);
}

export function maxPool([x]: tf.Tensor[], p: Params<"max_pool">): tf.Tensor {
  const input = isValid(p) ? x! : tf.pad(x!, spatialPads(p), -Infinity);
  return tf.maxPool(input as tf.Tensor4D, p.window as [number, number], p.strides as [number, number], "valid");
}

/**
 * The flat index (batch included, NHWC order) of each window's first maximum, computed on the host.
 * tfjs-wasm's MaxPoolWithArgmax starts its running maximum at 0, so a window of negative values gets
 * a wrong index there (as its MaxPoolGrad does); reading the values back costs a copy, not a sync
 * point that matters on cpu or wasm.
 */
export function maxPoolArgmax([x]: tf.Tensor[], p: Params<"max_pool_argmax">): tf.Tensor {
  const [n, h, w, c] = x!.shape as [number, number, number, number];
  const values = x!.dataSync() as Float32Array;
  const [kh, kw] = p.window;
  const [sh, sw] = p.strides;
  const [[pt, pb], [pl, pr]] = p.padding;
  const oh = spatialOut(h, kh, sh, 1, [pt, pb]);
  const ow = spatialOut(w, kw, sw, 1, [pl, pr]);
  const out = new Int32Array(n * oh * ow * c);
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let at = -1;
          for (let di = 0; di < kh; di++) {
            const r = i * sh - pt + di;
            if (r < 0 || r >= h) continue;
            for (let dj = 0; dj < kw; dj++) {
              const col = j * sw - pl + dj;
              if (col < 0 || col >= w) continue;
              const flat = ((b * h + r) * w + col) * c + ch;
              const v = values[flat]!;
              if (v > best || at < 0) {
                best = v;
                at = flat;
              }
            }
          }
          out[o++] = at;
        }
      }
    }
  }
  return tf.tensor4d(out, [n, oh, ow, c], "int32");
}

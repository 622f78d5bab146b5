import { hostArray, type HostArray } from "./host-array.js";

/** Per-channel statistics of images: one mean and one standard deviation per channel (last axis). */
export interface ChannelStats {
  mean: readonly number[];
  std: readonly number[];
}

/**
 * The per-channel mean and (population) standard deviation of a host array whose last axis is the
 * channel axis (NHWC images, or [N, features]), summed in float64.
 */
export function channelStats(x: HostArray): ChannelStats {
  const channels = x.shape[x.shape.length - 1];
  if (x.shape.length < 2 || channels === undefined || channels === 0) {
    throw new TypeError(`channelStats: expected [N, ..., C] values with C >= 1, got shape [${x.shape.join(",")}]`);
  }
  const count = x.data.length / channels;
  if (count === 0) throw new RangeError(`channelStats: no values (shape [${x.shape.join(",")}])`);
  const sum = new Float64Array(channels);
  for (let i = 0; i < x.data.length; i++) sum[i % channels]! += x.data[i]!;
  const mean = globalThis.Array.from(sum, (s) => s / count);
  // A second pass about the mean: more accurate than E[x²] − E[x]².
  const sq = new Float64Array(channels);
  for (let i = 0; i < x.data.length; i++) {
    const d = x.data[i]! - mean[i % channels]!;
    sq[i % channels]! += d * d;
  }
  return { mean, std: globalThis.Array.from(sq, (s) => Math.sqrt(s / count)) };
}

/**
 * (x − mean) / std per channel (last axis), as a new float32 host array. `stats` are given (for
 * example the training set's, applied to the test set) or computed from `x`. A channel with std 0 is
 * an error, not a division by zero.
 */
export function normalize(x: HostArray, stats: ChannelStats = channelStats(x)): HostArray<Float32Array> {
  const channels = x.shape[x.shape.length - 1] ?? 0;
  if (stats.mean.length !== channels || stats.std.length !== channels) {
    throw new TypeError(`normalize: ${stats.mean.length} means and ${stats.std.length} stds for ${channels} channels (shape [${x.shape.join(",")}])`);
  }
  const bad = stats.std.findIndex((s) => !(s > 0) || !Number.isFinite(s));
  if (bad >= 0) throw new RangeError(`normalize: std of channel ${bad} is ${stats.std[bad]}; it must be finite and > 0`);
  const out = new Float32Array(x.data.length);
  for (let i = 0; i < out.length; i++) {
    const c = i % channels;
    out[i] = (x.data[i]! - stats.mean[c]!) / stats.std[c]!;
  }
  return hostArray(out, x.shape, "normalize");
}

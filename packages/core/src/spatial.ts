/**
 * Window arithmetic shared by the convolution and pooling shape rules, lax's option parsing and the layers
 * that precompute their output shapes (nn's conv2d and pools).
 */

/** A window size, stride or dilation: one positive integer for both spatial axes, or one per axis. */
export type SpatialPair = number | readonly [number, number];

/** `v` as [height, width]; a RangeError naming `what` unless both are positive integers. */
export function pair(v: SpatialPair, what: string): [number, number] {
  const p: [number, number] = typeof v === "number" ? [v, v] : globalThis.Array.isArray(v) ? [v[0], v[1]] : [NaN, NaN];
  if (!p.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new RangeError(`${what} must be a positive integer or a pair of them, got ${JSON.stringify(v)}`);
  }
  return p;
}

/** Output size along one axis of a strided, dilated window over `size` cells padded by `pads`. */
export function spatialOut(size: number, window: number, stride: number, dilation: number, pads: readonly [number, number]): number {
  const effective = (window - 1) * dilation + 1;
  return Math.floor((size + pads[0] + pads[1] - effective) / stride) + 1;
}

import { lax } from "@mmx/core";

/**
 * Padding as layers take it: PyTorch-style integers (`p` on every side, or `[ph, pw]`), explicit
 * `[[top, bottom], [left, right]]`, or "SAME" / "VALID".
 */
export type Padding = number | readonly [number, number] | readonly [readonly [number, number], readonly [number, number]] | "SAME" | "VALID";
export type Pads = [[number, number], [number, number]];

/** Explicit [[top, bottom], [left, right]] pads for an input of spatial size `hw`. */
export function resolvePadding(padding: Padding, hw: readonly number[], kernel: readonly number[], stride: readonly number[], dilation: readonly number[] = [1, 1]): Pads {
  if (typeof padding === "number" || (globalThis.Array.isArray(padding) && typeof padding[0] === "number")) {
    const [ph, pw] = typeof padding === "number" ? [padding, padding] : (padding as readonly [number, number]);
    if (![ph, pw].every((d) => Number.isInteger(d) && d >= 0)) throw new RangeError(`padding must be non-negative integers, got ${JSON.stringify(padding)}`);
    return [[ph, ph], [pw, pw]];
  }
  if (globalThis.Array.isArray(padding)) {
    const [[t, b], [l, r]] = padding as readonly [readonly [number, number], readonly [number, number]];
    if (![t, b, l, r].every((d) => Number.isInteger(d) && d >= 0)) throw new RangeError(`padding must be non-negative integers, got ${JSON.stringify(padding)}`);
    return [[t, b], [l, r]];
  }
  if (padding === "SAME" || padding === "VALID") {
    const p = lax.resolvePadding(padding, hw, kernel, stride, dilation);
    return [[p[0][0], p[0][1]], [p[1][0], p[1][1]]];
  }
  throw new TypeError(`padding must be a number, [ph, pw], [[top, bottom], [left, right]], "SAME" or "VALID", got ${JSON.stringify(padding)}`);
}

/** Float32 helpers: the draws are float32 values computed on the host with explicit rounding. */

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** The least float32 above `x` (x a float32 value, not NaN or +inf). */
export function nextUp32(x: number): number {
  if (x === 0) return 1.401298464324817e-45;
  F32[0] = x;
  U32[0] = x > 0 ? U32[0]! + 1 : U32[0]! - 1;
  return F32[0]!;
}

/** The greatest float32 below `x` (x a float32 value, not NaN or -inf). */
export function nextDown32(x: number): number {
  return -nextUp32(-x);
}

/** 2^-23: the spacing of float32 values in [1, 2), so the step of the uniform grid below. */
const TWO_POW_M23 = 1.1920928955078125e-7;

/**
 * The float32 in [0, 1) that JAX makes from a 32-bit word: keep the top 23 bits as the mantissa of a
 * float in [1, 2) (exponent of 1.0), then subtract 1. Exact: the result is k * 2^-23 for k in [0, 2^23).
 */
export function unitFloat(bits: number): number {
  return (bits >>> 9) * TWO_POW_M23;
}

/** The centre of the same grid cell, ((bits >>> 9) + 1/2) * 2^-23: in the open interval (0, 1). */
export function openUnitFloat(bits: number): number {
  return ((bits >>> 9) + 0.5) * TWO_POW_M23;
}

/** Smallest positive normal float32 (numpy's finfo(float32).tiny). */
export const TINY32 = 1.1754943508222875e-38;

/** Largest float32 below 1. */
export const ONE_MINUS_EPS32 = 0.9999999403953552;

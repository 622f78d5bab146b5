import type { Array } from "@mmx/core";
import { assertKey, describeValue, randomBits, split, type Key } from "./key.js";
import { checkShape, type ShapeLike } from "./args.js";
import { toArray } from "./to-array.js";

const TWO_32 = 4294967296;

/**
 * Uniform integers in [lo, hi) as an Int32Array: the host-side twin of {@link randint}.
 *
 * Follows `jax.random.randint` for int32 exactly, in uint32 arithmetic (`Math.imul`, `>>> 0`): with
 * `[k1, k2] = split(key)`, two 32-bit words per value (high from k1, low from k2) are reduced modulo the
 * span as one 64-bit number would be, which leaves a bias below 2^-32 * span (negligible for any span
 * that fits a dataset). Same key, same values as JAX.
 *
 * @param lo inclusive lower bound, an integer >= -2^31.
 * @param hi exclusive upper bound, an integer <= 2^31 and > lo.
 */
export function randintValues(k: Key, shape: ShapeLike, lo: number, hi: number): Int32Array {
  assertKey(k, "randintValues");
  return drawRandint(k, checkShape(shape, "randintValues").size, lo, hi, "randintValues");
}

/**
 * Uniform int32 draws in [lo, hi) with the given shape, as an mmx `Array`, like
 * `jax.random.randint(key, shape, lo, hi)` (same values for the same key).
 */
export function randint(k: Key, shape: ShapeLike, lo: number, hi: number): Array {
  assertKey(k, "randint");
  const s = checkShape(shape, "randint");
  return toArray(drawRandint(k, s.size, lo, hi, "randint"), s.shape, "int32");
}

function drawRandint(k: Key, size: number, lo: number, hi: number, fn: string): Int32Array {
  checkBound(lo, fn, "lo");
  checkBound(hi, fn, "hi");
  if (!(lo < hi)) throw new RangeError(`${fn}: lo must be less than hi, got lo = ${lo}, hi = ${hi}`);
  const [k1, k2] = split(k);
  const higher = randomBits(k1!, size);
  const lower = randomBits(k2!, size);
  const out = new Int32Array(size);
  const span = hi - lo; // in [1, 2^32]
  if (span === TWO_32) {
    // The uint32 span wraps to 0 in JAX and every remainder is a no-op: the value is lo + lower bits.
    for (let i = 0; i < size; i++) out[i] = lo + lower[i]!;
    return out;
  }
  // 2^32 mod span, as (2^16 mod span)^2 mod span (no uint32 overflow: 2^16 mod span < 2^16).
  const m16 = 65536 % span;
  const multiplier = (m16 * m16) % span;
  for (let i = 0; i < size; i++) {
    // JAX computes this sum in uint32, so the product and the sum wrap at 2^32 exactly as here.
    const hiRem = higher[i]! % span;
    const offset = ((Math.imul(hiRem, multiplier) >>> 0) + (lower[i]! % span)) % TWO_32 % span;
    out[i] = lo + offset;
  }
  return out;
}

function checkBound(x: unknown, fn: string, arg: string): void {
  if (typeof x !== "number" || !Number.isInteger(x) || x < -2147483648 || x > 2147483648) {
    throw new RangeError(`${fn}: ${arg} must be an integer in [-2^31, 2^31], got ${describeValue(x)}`);
  }
}

import type { Array } from "@mmx/core";
import { nextDown32, unitFloat } from "./float32.js";
import { assertKey, randomBits, type Key } from "./key.js";
import { checkNumber, checkShape, type ShapeLike } from "./args.js";
import { toArray } from "./to-array.js";

/** Bounds of a uniform draw: values lie in [min, max). */
export interface UniformOptions {
  /** Inclusive lower bound (default 0). */
  min?: number;
  /** Exclusive upper bound (default 1); must exceed `min`. */
  max?: number;
}

/**
 * Uniform float32 values in [min, max) as a Float32Array (row-major for `shape`), computed on the host:
 * the host-side twin of {@link uniform}, for data pipelines and policies that need numbers.
 *
 * Follows `jax.random.uniform` for float32: each 32-bit word keeps its top 23 bits as the mantissa of a
 * float in [1, 2), minus 1, then `u * (max - min) + min` with every step rounded to float32 as XLA does,
 * so the values equal JAX's for the same key. One deliberate difference: where that float32 rounding
 * lands on `max` itself, the value is moved to the float32 just below `max`, so the interval really is
 * half-open.
 */
export function uniformValues(k: Key, shape: ShapeLike = [], opts: UniformOptions = {}): Float32Array {
  assertKey(k, "uniformValues");
  const { size } = checkShape(shape, "uniformValues");
  const [lo, hi] = uniformBounds(opts, "uniformValues");
  return uniformFromBits(randomBits(k, size), lo, hi);
}

/**
 * Uniform float32 draws in [min, max) with the given shape, as an mmx `Array`, like
 * `jax.random.uniform(key, shape, minval=min, maxval=max)` (same values as JAX for the same key).
 *
 * ```ts
 * const x = uniform(key(0), [2, 3], { min: -1, max: 1 });
 * ```
 */
export function uniform(k: Key, shape: ShapeLike = [], opts: UniformOptions = {}): Array {
  assertKey(k, "uniform");
  const s = checkShape(shape, "uniform");
  const [lo, hi] = uniformBounds(opts, "uniform");
  return toArray(uniformFromBits(randomBits(k, s.size), lo, hi), s.shape, "float32");
}

/** Checks {min, max} and returns them rounded to float32. */
export function uniformBounds(opts: UniformOptions, fn: string): [number, number] {
  if (opts === null || typeof opts !== "object") throw new TypeError(`${fn}: options must be an object like { min, max }, got ${String(opts)}`);
  const lo = Math.fround(checkNumber(opts.min ?? 0, fn, "min"));
  const hi = Math.fround(checkNumber(opts.max ?? 1, fn, "max"));
  if (!(lo < hi)) throw new RangeError(`${fn}: min must be less than max, got min = ${opts.min ?? 0}, max = ${opts.max ?? 1}`);
  if (!Number.isFinite(Math.fround(hi - lo))) throw new RangeError(`${fn}: max - min overflows float32 (min = ${lo}, max = ${hi})`);
  return [lo, hi];
}

/** JAX's float32 uniform construction applied to each word (see {@link uniformValues}). */
export function uniformFromBits(bits: Uint32Array, lo: number, hi: number): Float32Array {
  const out = new Float32Array(bits.length);
  const span = Math.fround(hi - lo);
  const below = nextDown32(hi);
  for (let i = 0; i < bits.length; i++) out[i] = scaleUnit(unitFloat(bits[i]!), lo, hi, span, below);
  return out;
}

/** u * span + lo in float32 steps, kept in [lo, hi) (`below` is the float32 just under hi). */
export function scaleUnit(u: number, lo: number, hi: number, span: number, below: number): number {
  const v = Math.fround(Math.fround(u * span) + lo);
  return v < lo ? lo : v >= hi ? below : v;
}

import type { Array } from "@mmx/core";
import { assertKey, randomBits, type Key } from "./key.js";
import { checkProbability, checkShape, type ShapeLike } from "./args.js";
import { toArray } from "./to-array.js";
import { uniformFromBits } from "./uniform.js";

/**
 * Bernoulli(p) draws as a Uint8Array of 0/1 (row-major for `shape`): the host-side twin of
 * {@link bernoulli}. Value i is 1 when JAX's float32 uniform u_i is below p (rounded to float32), as in
 * `jax.random.bernoulli`, so p = 0 never fires and p = 1 always does.
 */
export function bernoulliValues(k: Key, p = 0.5, shape: ShapeLike = []): Uint8Array {
  assertKey(k, "bernoulliValues");
  return drawBernoulli(k, p, checkShape(shape, "bernoulliValues").size, "bernoulliValues");
}

/**
 * Bernoulli(p) draws with the given shape as a bool mmx `Array`: true with probability p. Like
 * `jax.random.bernoulli(key, p, shape)` (same values for the same key). Dropout masks:
 * `bernoulli(k, 1 - rate, x.shape)`.
 *
 * @param p the probability of true, a number in [0, 1] (default 0.5).
 */
export function bernoulli(k: Key, p = 0.5, shape: ShapeLike = []): Array {
  assertKey(k, "bernoulli");
  const s = checkShape(shape, "bernoulli");
  return toArray(drawBernoulli(k, p, s.size, "bernoulli"), s.shape, "bool");
}

function drawBernoulli(k: Key, p: number, size: number, fn: string): Uint8Array {
  const p32 = checkProbability(p, fn);
  const u = uniformFromBits(randomBits(k, size), 0, 1);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = u[i]! < p32 ? 1 : 0;
  return out;
}

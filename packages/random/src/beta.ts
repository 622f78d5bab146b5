import type { Array } from "@mmx/core";
import { ONE_MINUS_EPS32, TINY32 } from "./float32.js";
import { logGammaDraws } from "./gamma.js";
import { assertKey, split, type Key } from "./key.js";
import { checkPositive, checkShape, type ShapeLike } from "./args.js";
import { toArray } from "./to-array.js";

/**
 * Beta(a, b) float32 values as a Float32Array: the host-side twin of {@link beta}, e.g. for a mixup
 * policy drawing lambda ~ Beta(alpha, alpha) as plain numbers.
 *
 * Method (as `jax.random.beta`): with `[ka, kb] = split(key)`, draw log Gamma(a) from ka and
 * log Gamma(b) from kb (see {@link gammaValues}) and return G_a / (G_a + G_b) computed from the logs
 * relative to their maximum, so small a and b (say 0.1, where most of the mass sits within 1e-7 of 0
 * and 1) give no NaN and no 0/0. Float32 cannot hold values that close to 0 or 1: results are clamped
 * into [smallest normal float32, largest float32 below 1], so a draw is never exactly 0 or 1.
 *
 * @param a first shape parameter, a finite number > 0.
 * @param b second shape parameter, a finite number > 0.
 */
export function betaValues(k: Key, a: number, b: number, shape: ShapeLike = []): Float32Array {
  assertKey(k, "betaValues");
  return drawBeta(k, a, b, checkShape(shape, "betaValues").size, "betaValues");
}

/**
 * Beta(a, b) draws with the given shape, as a float32 mmx `Array`, like `jax.random.beta(key, a, b,
 * shape)`. See {@link betaValues} for the method and the (0, 1) clamp.
 */
export function beta(k: Key, a: number, b: number, shape: ShapeLike = []): Array {
  assertKey(k, "beta");
  const s = checkShape(shape, "beta");
  return toArray(drawBeta(k, a, b, s.size, "beta"), s.shape, "float32");
}

function drawBeta(k: Key, a: number, b: number, size: number, fn: string): Float32Array {
  checkPositive(a, fn, "a");
  checkPositive(b, fn, "b");
  const [ka, kb] = split(k);
  const la = logGammaDraws(ka!, a, size);
  const lb = logGammaDraws(kb!, b, size);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const m = Math.max(la[i]!, lb[i]!);
    const ga = Math.exp(la[i]! - m);
    const gb = Math.exp(lb[i]! - m);
    const x = Math.fround(ga / (ga + gb));
    // Float32 cannot hold draws within 6e-8 of 1 (or below 1e-38): keep them inside (0, 1).
    out[i] = x < TINY32 ? TINY32 : x > ONE_MINUS_EPS32 ? ONE_MINUS_EPS32 : x;
  }
  return out;
}

import type { Array } from "@mmx/core";
import { TINY32 } from "./float32.js";
import { logGammaDraws } from "./gamma.js";
import { assertKey, describeValue, split, type Key } from "./key.js";
import { checkPositive, checkShape, type ShapeLike } from "./args.js";
import { toArray } from "./to-array.js";

/**
 * Dirichlet(α) float32 values as a Float32Array of `[...shape, m]` (m = α.length, m >= 1): the host-side twin
 * of {@link dirichlet}, e.g. for a policy drawing the weights of an m-way mix as plain numbers.
 *
 * Method (as `jax.random.dirichlet`, in double precision): with `split(key, m)`, draw log Gamma(α_j) from the
 * j-th subkey, then each row is `G_j / Σ_i G_i` computed from the logs relative to the row's maximum, so small
 * α gives no NaN and no 0/0. For m = 2 the first component equals `betaValues(key, α_0, α_1, shape)`: beta
 * draws its two gammas from the same subkeys. Components below the smallest normal float32 are raised to it.
 *
 * @param alpha the concentrations, finite numbers > 0 (at least one).
 */
export function dirichletValues(k: Key, alpha: readonly number[], shape: ShapeLike = []): Float32Array {
  assertKey(k, "dirichletValues");
  return drawDirichlet(k, alpha, checkShape(shape, "dirichletValues").size, "dirichletValues");
}

/** Dirichlet(α) draws as a float32 mmx `Array` of shape `[...shape, α.length]`. See {@link dirichletValues}. */
export function dirichlet(k: Key, alpha: readonly number[], shape: ShapeLike = []): Array {
  assertKey(k, "dirichlet");
  const s = checkShape(shape, "dirichlet");
  return toArray(drawDirichlet(k, alpha, s.size, "dirichlet"), [...s.shape, alpha.length], "float32");
}

function drawDirichlet(k: Key, alpha: readonly number[], size: number, fn: string): Float32Array {
  if (!globalThis.Array.isArray(alpha) || alpha.length === 0) throw new RangeError(`${fn}: alpha must be a non-empty list of concentrations > 0, got ${describeValue(alpha)}`);
  alpha.forEach((a, j) => checkPositive(a, fn, `alpha[${j}]`));
  const m = alpha.length;
  const keys = m === 1 ? [k] : split(k, m);
  const logs = alpha.map((a, j) => logGammaDraws(keys[j]!, a, size));
  const out = new Float32Array(size * m);
  for (let i = 0; i < size; i++) {
    let top = -Infinity;
    for (let j = 0; j < m; j++) top = Math.max(top, logs[j]![i]!);
    let total = 0;
    for (let j = 0; j < m; j++) total += Math.exp(logs[j]![i]! - top);
    for (let j = 0; j < m; j++) {
      const x = Math.fround(Math.exp(logs[j]![i]! - top) / total);
      out[i * m + j] = x < TINY32 ? TINY32 : x;
    }
  }
  return out;
}

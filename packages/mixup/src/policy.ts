import { np, type Array } from "@mmx/core";
import { betaValues, permutationIndices, randintValues, split, type Key } from "@mmx/random";
import type { BoundaryRef } from "./boundaries.js";

/**
 * What a policy draws for one batch, on the host from a key (so the same key gives the same draws on
 * every backend): the boundary to mix at, λ, and the permutation that pairs the batch with itself.
 */
export interface MixupDraw {
  /** An element of the policy's eligible layers. */
  readonly layer: BoundaryRef;
  /** λ ~ Beta(α, α): a number per batch, or one value per example (f32[B]) with `perExample`. */
  readonly lambda: number | Array;
  /** A uniformly random permutation of the batch (int32 [B]). */
  readonly perm: Array;
}

export interface MixupPolicy {
  readonly alpha: number;
  /** The eligible set S: k is drawn uniformly from it. */
  readonly layers: readonly BoundaryRef[];
  readonly perExample: boolean;
  readonly lambdaMax: boolean;
  sample(key: Key, batchSize: number): MixupDraw;
}

export interface ManifoldMixupOptions {
  /** λ ~ Beta(α, α); α <= 0 means λ = 1 (no mixing), as in the official code. */
  alpha: number;
  /** The eligible boundaries (indices or tag names; 0 = the input). */
  layers: readonly BoundaryRef[];
  /** One λ per example instead of one per batch (reported to perform the same). */
  perExample?: boolean;
  /** Use max(λ, 1 − λ), as fastai does, so each example stays closest to itself. */
  lambdaMax?: boolean;
}

/**
 * Manifold Mixup (Verma et al. 2019): each step, k uniform over the eligible layers, λ ~ Beta(α, α)
 * once per batch (or per example), and a random permutation of the batch.
 */
export function manifoldMixup(opts: ManifoldMixupOptions): MixupPolicy {
  const { alpha, layers, perExample = false, lambdaMax = false } = opts;
  if (typeof alpha !== "number" || !Number.isFinite(alpha)) throw new RangeError(`manifoldMixup: alpha must be a finite number, got ${typeof alpha === "number" ? alpha : JSON.stringify(alpha)}`);
  for (const [name, value] of [["perExample", perExample], ["lambdaMax", lambdaMax]] as const) {
    if (typeof value !== "boolean") throw new TypeError(`manifoldMixup: ${name} must be true or false, got ${JSON.stringify(value)}`);
  }
  if (!globalThis.Array.isArray(layers) || layers.length === 0) throw new RangeError("manifoldMixup: layers must list at least one eligible boundary (0 = the input)");
  for (const l of layers) {
    if (!(typeof l === "string" ? l.length > 0 : Number.isInteger(l) && l >= 0)) throw new RangeError(`manifoldMixup: ${JSON.stringify(l)} is not a boundary (an index >= 0 or a tag name)`);
  }
  const eligible = Object.freeze([...layers]);
  return Object.freeze({
    alpha,
    layers: eligible,
    perExample,
    lambdaMax,
    sample(key: Key, batchSize: number): MixupDraw {
      if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new RangeError(`sample: batchSize must be a positive integer, got ${batchSize}`);
      const [kLayer, kLambda, kPerm] = split(key, 3) as [Key, Key, Key];
      const layer = eligible[eligible.length === 1 ? 0 : randintValues(kLayer, [], 0, eligible.length)[0]!]!;
      const count = perExample ? batchSize : 1;
      const lambdas = alpha > 0 ? betaValues(kLambda, alpha, alpha, [count]) : new Float32Array(count).fill(1);
      if (lambdaMax) lambdas.forEach((l, i) => (lambdas[i] = Math.max(l, 1 - l)));
      const perm = np.array(permutationIndices(kPerm, batchSize), { shape: [batchSize], dtype: "int32" });
      return { layer, lambda: perExample ? np.array(lambdas, { shape: [batchSize] }) : lambdas[0]!, perm };
    },
  });
}

/** Input mixup (Zhang et al. 2018): the eligible set is the input alone. */
export function inputMixup(opts: { alpha: number; perExample?: boolean; lambdaMax?: boolean }): MixupPolicy {
  return manifoldMixup({ ...opts, layers: [0] });
}

import { Array } from "@mmx/core";
import type { Lambda } from "./validate.js";

/**
 * How mixup mixes a batch with its permuted copies: the one representation the `mixup` transform, the policies
 * and `trainStep` share. Every field that varies from step to step is an array (or a number), so a jitted step
 * takes it as program inputs; only `kind` (and which optional fields are present) selects the program.
 *
 * In every kind each example i gets a convex combination of examples of the batch, and its targets get the same
 * combination: the weight the hidden state gives example j is the weight the targets give example j.
 */
export type Mixing = LerpMixing | MaskMixing | DirichletMixing;
export type MixingKind = Mixing["kind"];

/**
 * Noise of Noisy Feature Mixup (Lim et al. 2022), applied to the mixed hidden state (never to the targets):
 * `h ← (1 + mult) ⊙ h + add`. Each is an array that broadcasts to the hidden state's shape (same rank, each
 * axis its size or 1), drawn on the host (the policies draw `add` = σ_add·N(0, 1) and `mult` = σ_mult·U(−1, 1)).
 */
export interface FeatureNoise {
  readonly add?: Array;
  readonly mult?: Array;
}

/**
 * `λ·h + (1−λ)·h[perm]`: the mixup of Zhang et al. and Verma et al. λ is a number, a scalar array, or one value per
 * example (f32[B]); per pair and half-batch λ are per-example λ the policies build (see `LambdaMode`).
 */
export interface LerpMixing {
  readonly kind: "lerp";
  readonly lambda: Lambda;
  readonly noise?: FeatureNoise;
}

/**
 * `m ⊙ h + (1 − m) ⊙ h[perm]` for a mask m of 0s and 1s (1: the example keeps its own value): CutMix's box at the
 * input, PatchUp's blocks at a hidden boundary. m has h's rank, its batch axis B (or 1) and every other axis h's
 * size or 1 (a mask [B,H,W,1] covers every channel of an NHWC state). The targets take λ_i = the mean of m_i,
 * the kept fraction, computed from the mask itself, so the targets' weights are exactly the mask's area.
 */
export interface MaskMixing {
  readonly kind: "mask";
  readonly mask: Array;
  readonly noise?: FeatureNoise;
}

/**
 * `Σ_j w_j·h[perm_j]`, n-way mixing (as in big_vision): perm is int32 [m, B], one permutation per row (the
 * policies put the identity in row 0), and weights f32[m] for the batch or f32[B, m] per example, each row
 * on the simplex (w ≥ 0, Σ w = 1). The policies draw w ~ Dirichlet(α·1_m).
 */
export interface DirichletMixing {
  readonly kind: "dirichlet";
  readonly weights: Array;
  readonly noise?: FeatureNoise;
}

/** A λ (number or array) is lerp mixing; a Mixing is itself. */
export function asMixing(what: string, how: Lambda | Mixing): Mixing {
  if (typeof how === "number" || how instanceof Array) return { kind: "lerp", lambda: how };
  if (typeof how !== "object" || how === null || typeof (how as { kind?: unknown }).kind !== "string") {
    throw new TypeError(`${what}: the mixing must be λ (a number or an array) or { kind: "lerp" | "mask" | "dirichlet", ... }, got ${how === null ? "null" : typeof how}`);
  }
  return how;
}

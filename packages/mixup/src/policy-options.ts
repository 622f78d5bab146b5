import type { BoundaryRef } from "./boundaries.js";
import { LAMBDA_MODES } from "./pairing.js";
import type { ManifoldMixupOptions, MixupPolicy } from "./policy.js";

/** Where training is: the 0-based epoch and the global step count (steps taken before this one). */
export interface Progress {
  readonly epoch: number;
  readonly step: number;
}

/**
 * α per step: a function of the progress, or a schedule object with `valueAt(step)` (an @mmx/optim schedule, say
 * `cosine({ base: 2, steps })`, read on the host at the global step). A value <= 0 means no mixup that step.
 */
export type AlphaSchedule = ((at: Progress) => number) | { valueAt(step: number): number };

/**
 * CutMix (Yun et al. 2019) at the input, an image [B,H,W,C]: a box from the partner pasted into each example, the
 * targets weighted by the kept area of the box after clipping (exactly). Steps switch between mixup and CutMix.
 */
export interface CutMixOptions {
  /** The box area is about 1 − λ, λ ~ Beta(α, α) (default 1). */
  alpha?: number;
  /** The box's height and width as fractions [lo, hi] of the image's, drawn uniformly (timm's cutmix_minmax); overrides alpha. */
  minMax?: readonly [number, number];
  /** The probability that a step uses CutMix rather than mixup when both are on (mixup's α > 0); default 0.5, as timm. */
  switchProb?: number;
}

/** PatchUp's two ways of altering the blocks: swap them for the partner's, or interpolate them with it. */
export type PatchUpMode = "hard" | "soft";
export const PATCHUP_MODES: readonly PatchUpMode[] = ["hard", "soft"];

/**
 * PatchUp (Faramarzi et al. 2022): at an eligible spatial boundary [B,H,W,C], blocks of the example's feature maps
 * (the same blocks in every channel) are altered with the partner's, the targets weighted by what each example keeps.
 * Hard PatchUp swaps them (mask 0 in the blocks); soft PatchUp interpolates them, λ·h + (1 − λ)·h[perm] with
 * λ ~ Beta(α, α) (mask λ in the blocks), so the targets weight the example by ρ + (1 − ρ)·λ, ρ the unchanged fraction.
 */
export interface PatchUpOptions {
  /** About this fraction of the grid is swapped (PatchUp's γ), in [0, 1]. */
  gamma: number;
  /** The side of a square block, in grid cells (an integer >= 1). */
  blockSize: number;
  /** The probability that a step uses PatchUp rather than mixup when both are on (mixup's α > 0); default 0.5. */
  switchProb?: number;
  /** "hard" (default) swaps the blocks, "soft" interpolates them. */
  mode?: PatchUpMode;
  /** Soft PatchUp's λ ~ Beta(α, α) inside the blocks (default 2, the official code's). */
  alpha?: number;
}

/**
 * Noisy Feature Mixup (Lim et al. 2022): after mixing, `h ← (1 + b_mult·σ_mult·u) ⊙ h + b_add·σ_add·n`, u ~ U(−1, 1)
 * and n ~ N(0, 1) elementwise, and b_add, b_mult ~ Beta(2, 5) once per step each (as the official code scales its
 * levels), all drawn on the host from the step's key. Either level may be 0 (the default).
 */
export interface NoiseOptions {
  /** σ_add, the additive noise level. */
  add?: number;
  /** σ_mult, the multiplicative noise level. */
  mult?: number;
  /** true: b_add = b_mult = 1, the levels as given on every step; default false (the official code's Beta(2, 5) scaling). */
  fixedLevels?: boolean;
}

/** The options with defaults filled in, each checked: the error names the field and the value. */
export function checkPolicyOptions(what: string, opts: ManifoldMixupOptions): MixupPolicy["options"] {
  if (typeof opts !== "object" || opts === null) throw new TypeError(`${what}: options must be an object, got ${opts === null ? "null" : typeof opts}`);
  const { alpha, layers, perExample = false, lambdaMax = false, selfPairs = true, ways = 2, cutmix, patchup, noise, alphaSchedule, offEpoch } = opts;
  if (typeof alpha !== "number" || !Number.isFinite(alpha)) throw new RangeError(`${what}: alpha must be a finite number, got ${typeof alpha === "number" ? alpha : JSON.stringify(alpha)}`);
  for (const [name, value] of [["perExample", perExample], ["lambdaMax", lambdaMax], ["selfPairs", selfPairs]] as const) {
    if (typeof value !== "boolean") throw new TypeError(`${what}: ${name} must be true or false, got ${JSON.stringify(value)}`);
  }
  const lambdaMode = opts.lambdaMode ?? (perExample ? "elem" : "batch");
  if (!LAMBDA_MODES.includes(lambdaMode)) throw new RangeError(`${what}: lambdaMode must be one of ${LAMBDA_MODES.join(", ")}, got ${JSON.stringify(lambdaMode)}`);
  if (perExample && lambdaMode !== "elem") throw new RangeError(`${what}: perExample is lambdaMode "elem"; it contradicts lambdaMode ${JSON.stringify(lambdaMode)}`);
  if (!globalThis.Array.isArray(layers) || layers.length === 0) throw new RangeError(`${what}: layers must list at least one eligible boundary (0 = the input)`);
  for (const l of layers as readonly BoundaryRef[]) {
    if (!(typeof l === "string" ? l.length > 0 : Number.isInteger(l) && l >= 0)) throw new RangeError(`${what}: ${JSON.stringify(l)} is not a boundary (an index >= 0 or a tag name)`);
  }
  if (!(Number.isInteger(ways) && ways >= 2)) throw new RangeError(`${what}: ways must be an integer >= 2 (examples combined per mixed example), got ${JSON.stringify(ways)}`);
  if (ways > 2 && lambdaMode === "pair") throw new RangeError(`${what}: lambdaMode "pair" mixes pairs; with ways ${ways} use "batch", "elem" or "half"`);
  if (cutmix !== undefined && patchup !== undefined) throw new RangeError(`${what}: cutmix and patchup are both set; choose one mask mixing`);
  if (cutmix !== undefined) {
    objectOption(what, "cutmix", cutmix);
    if (cutmix.alpha !== undefined && !(typeof cutmix.alpha === "number" && Number.isFinite(cutmix.alpha) && cutmix.alpha >= 0)) throw new RangeError(`${what}: cutmix.alpha must be a finite number >= 0, got ${JSON.stringify(cutmix.alpha)}`);
    if (cutmix.minMax !== undefined) {
      const m = cutmix.minMax;
      if (!(globalThis.Array.isArray(m) && m.length === 2 && m.every((v) => typeof v === "number" && v >= 0 && v <= 1) && m[0] <= m[1])) {
        throw new RangeError(`${what}: cutmix.minMax must be [lo, hi] with 0 <= lo <= hi <= 1 (fractions of the image side), got ${JSON.stringify(m)}`);
      }
    }
    probability(what, "cutmix.switchProb", cutmix.switchProb);
  }
  if (patchup !== undefined) {
    objectOption(what, "patchup", patchup);
    if (!(typeof patchup.gamma === "number" && patchup.gamma >= 0 && patchup.gamma <= 1)) throw new RangeError(`${what}: patchup.gamma must be a fraction in [0, 1], got ${JSON.stringify(patchup.gamma)}`);
    if (!(Number.isInteger(patchup.blockSize) && patchup.blockSize >= 1)) throw new RangeError(`${what}: patchup.blockSize must be an integer >= 1, got ${JSON.stringify(patchup.blockSize)}`);
    probability(what, "patchup.switchProb", patchup.switchProb);
    if (patchup.mode !== undefined && !PATCHUP_MODES.includes(patchup.mode)) throw new RangeError(`${what}: patchup.mode must be one of ${PATCHUP_MODES.join(", ")}, got ${JSON.stringify(patchup.mode)}`);
    if (patchup.alpha !== undefined && !(typeof patchup.alpha === "number" && Number.isFinite(patchup.alpha) && patchup.alpha > 0)) throw new RangeError(`${what}: patchup.alpha must be a finite number > 0, got ${JSON.stringify(patchup.alpha)}`);
  }
  if (noise !== undefined) {
    objectOption(what, "noise", noise);
    for (const field of ["add", "mult"] as const) {
      const v = noise[field];
      if (v !== undefined && !(typeof v === "number" && Number.isFinite(v) && v >= 0)) throw new RangeError(`${what}: noise.${field} must be a finite number >= 0, got ${JSON.stringify(v)}`);
    }
    if (noise.fixedLevels !== undefined && typeof noise.fixedLevels !== "boolean") throw new TypeError(`${what}: noise.fixedLevels must be true or false, got ${JSON.stringify(noise.fixedLevels)}`);
  }
  if (alphaSchedule !== undefined && typeof alphaSchedule !== "function" && typeof (alphaSchedule as { valueAt?: unknown } | null)?.valueAt !== "function") {
    throw new TypeError(`${what}: alphaSchedule must be a function of { epoch, step } or a schedule with valueAt(step), got ${alphaSchedule === null ? "null" : typeof alphaSchedule}`);
  }
  if (offEpoch !== undefined && !(Number.isInteger(offEpoch) && offEpoch >= 0)) throw new RangeError(`${what}: offEpoch must be an integer >= 0 (the first epoch without mixing), got ${JSON.stringify(offEpoch)}`);
  return Object.freeze({
    alpha,
    layers: Object.freeze([...layers]),
    perExample: lambdaMode === "elem",
    lambdaMode,
    lambdaMax,
    selfPairs,
    ways,
    ...(cutmix !== undefined && { cutmix: Object.freeze({ ...cutmix }) }),
    ...(patchup !== undefined && { patchup: Object.freeze({ ...patchup }) }),
    ...(noise !== undefined && { noise: Object.freeze({ ...noise }) }),
    ...(alphaSchedule !== undefined && { alphaSchedule }),
    ...(offEpoch !== undefined && { offEpoch }),
  });
}

/** Mixup's α at this point of training: the schedule's value, or the constant α. */
export function alphaAt(what: string, o: Pick<ManifoldMixupOptions, "alpha" | "alphaSchedule">, at: Progress): number {
  if (typeof at !== "object" || at === null || !(Number.isInteger(at.epoch) && at.epoch >= 0) || !(Number.isInteger(at.step) && at.step >= 0)) {
    throw new RangeError(`${what}: the progress must be { epoch, step } with non-negative integers, got ${JSON.stringify(at)}`);
  }
  const s = o.alphaSchedule;
  if (s === undefined) return o.alpha;
  const value = "valueAt" in s && typeof s.valueAt === "function" ? s.valueAt(at.step) : (s as (at: Progress) => number)(at);
  if (typeof value !== "number" || Number.isNaN(value) || !Number.isFinite(value)) throw new RangeError(`${what}: alphaSchedule gave ${String(value)} at epoch ${at.epoch}, step ${at.step}; it must give a finite number`);
  return value;
}

function objectOption(what: string, name: string, value: unknown): void {
  if (typeof value !== "object" || value === null || globalThis.Array.isArray(value)) throw new TypeError(`${what}: ${name} must be an object, got ${value === null ? "null" : typeof value}`);
}

function probability(what: string, name: string, value: unknown): void {
  if (value !== undefined && !(typeof value === "number" && value >= 0 && value <= 1)) throw new RangeError(`${what}: ${name} must be a probability in [0, 1], got ${JSON.stringify(value)}`);
}

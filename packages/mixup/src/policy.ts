import { np, type Array } from "@mmx/core";
import { betaValues, dirichletValues, foldIn, normalValues, randintValues, split, uniformValues, type Key } from "@mmx/random";
import { resolveBoundary, type Boundary, type BoundaryRef } from "./boundaries.js";
import { blockMask, boxMask, cutmixBox, keptArea, softenMask } from "./masks.js";
import type { FeatureNoise, Mixing } from "./mixing.js";
import { drawPairing, LAMBDA_MODES, partnerIndices, type LambdaMode, type Pairing } from "./pairing.js";
import { alphaAt, checkPolicyOptions, type AlphaSchedule, type CutMixOptions, type NoiseOptions, type PatchUpOptions, type Progress } from "./policy-options.js";

export type { AlphaSchedule, CutMixOptions, NoiseOptions, PatchUpMode, PatchUpOptions, Progress } from "./policy-options.js";
export { PATCHUP_MODES } from "./policy-options.js";
export type { LambdaMode } from "./pairing.js";

/**
 * What a policy draws for one batch, on the host from a key (so the same key gives the same draws on
 * every backend): the boundary to mix at, how to mix, and the permutation(s) that pair the batch with itself.
 */
export interface MixupDraw {
  /** An element of the policy's eligible layers (0, the input, for a CutMix step). */
  readonly layer: BoundaryRef;
  /**
   * For lerp mixing, the λ of `mixing` (a number per batch, or one value per example f32[B]); for mask and
   * dirichlet mixing, for logs, the mean over the batch of the weight each example gives itself.
   */
  readonly lambda: number | Array;
  /** The pairing: int32 [B] (a permutation), or [m, B] for dirichlet mixing (row 0 the identity). */
  readonly perm: Array;
  /** How to mix: pass it to `mixup(layer, mixing)`. */
  readonly mixing: Mixing;
  /** Whether this step mixes at all (false: α is 0 now, or mixing is off from this epoch on): then train clean. */
  readonly active: boolean;
}

export interface MixupPolicy {
  /** The base α of λ ~ Beta(α, α) (or of the Dirichlet weights); `alphaSchedule`, if given, overrides it per step. */
  readonly alpha: number;
  /** The eligible set S: k is drawn uniformly from it. */
  readonly layers: readonly BoundaryRef[];
  /** lambdaMode === "elem". */
  readonly perExample: boolean;
  readonly lambdaMax: boolean;
  /** Every option, with its default filled in. */
  readonly options: Readonly<Required<Omit<ManifoldMixupOptions, "cutmix" | "patchup" | "noise" | "alphaSchedule" | "offEpoch">>> &
    Pick<ManifoldMixupOptions, "cutmix" | "patchup" | "noise" | "alphaSchedule" | "offEpoch">;
  /** Whether `sample` needs the boundaries (masks and noise take their shapes): pass `mixup.boundaries(f, params, x)`. */
  readonly needsShapes: boolean;
  /** Whether `sample` needs the progress `{ epoch, step }` (an α schedule or an off epoch). */
  readonly usesProgress: boolean;
  /**
   * One draw. `batch` is the batch size, or the model's boundaries at this batch (`mixup.boundaries(f, params, x)`),
   * which mask and noise options need; `at` is where training is, which `alphaSchedule` and `offEpoch` need.
   */
  sample(key: Key, batch: number | readonly Boundary[], at?: Progress): MixupDraw;
}

export interface ManifoldMixupOptions {
  /** λ ~ Beta(α, α); α <= 0 means λ = 1 (no mixing), as in the official code. */
  alpha: number;
  /** The eligible boundaries (indices or tag names; 0 = the input). */
  layers: readonly BoundaryRef[];
  /** One λ per example instead of one per batch (reported to perform the same): `lambdaMode: "elem"`. */
  perExample?: boolean;
  /** How one draw is shared across the batch: "batch" (default), "pair", "elem" or "half" (see `LambdaMode`). */
  lambdaMode?: LambdaMode;
  /** Use max(λ, 1 − λ), as fastai does, so each example stays closest to itself (dirichlet: its largest weight). */
  lambdaMax?: boolean;
  /**
   * Whether an example may be paired with itself (default true, as a plain random permutation does). false draws a
   * derangement, so every example has a partner other than itself; a batch of one has none and stays clean.
   */
  selfPairs?: boolean;
  /**
   * How many examples each mixed example combines (default 2). m >= 3 is n-way mixing (big_vision): m−1 random
   * permutations beside the identity and weights w ~ Dirichlet(α·1_m), h ← Σ_j w_j·h[perm_j]; lambdaMode "batch",
   * "elem" or "half".
   */
  ways?: number;
  /** CutMix at the input instead of mixup on some steps (see `CutMixOptions`). */
  cutmix?: CutMixOptions;
  /** PatchUp: block masks at the eligible spatial boundaries [B,H,W,C] on some steps (see `PatchUpOptions`). */
  patchup?: PatchUpOptions;
  /** Noisy Feature Mixup: noise on the mixed hidden state (see `NoiseOptions`). */
  noise?: NoiseOptions;
  /** α per step instead of the constant `alpha` (mixup's α, not CutMix's): see `AlphaSchedule`. */
  alphaSchedule?: AlphaSchedule;
  /** No mixing from this epoch on (0-based: epochs >= offEpoch train clean), as some recipes end training. */
  offEpoch?: number;
}

/** Keys beyond the three the plain policy has used from the start, so its draws stay what they were. */
const EXTRA = { half: 101, switch: 102, mask: 103, addNoise: 104, multNoise: 105, noiseLevels: 106, softPatch: 107 } as const;

/**
 * Manifold Mixup (Verma et al. 2019): each step, k uniform over the eligible layers, λ ~ Beta(α, α)
 * once per batch (or per example, pair, or half batch), and a random permutation of the batch; with the options,
 * n-way Dirichlet mixing, CutMix or PatchUp masks, Noisy Feature Mixup, an α schedule and an off epoch.
 */
export function manifoldMixup(opts: ManifoldMixupOptions): MixupPolicy {
  const o = checkPolicyOptions("manifoldMixup", opts);
  const { alpha, lambdaMode, lambdaMax, selfPairs, ways, cutmix, patchup, noise } = o;
  const eligible = o.layers;
  const needsShapes = cutmix !== undefined || patchup !== undefined || noise !== undefined;
  const usesProgress = o.alphaSchedule !== undefined || o.offEpoch !== undefined;
  const maskOption = cutmix ?? patchup;
  return Object.freeze({
    alpha,
    layers: eligible,
    perExample: lambdaMode === "elem",
    lambdaMax,
    options: o,
    needsShapes,
    usesProgress,
    sample(key: Key, batchOrBoundaries: number | readonly Boundary[], at?: Progress): MixupDraw {
      const list = typeof batchOrBoundaries === "number" ? null : batchOrBoundaries;
      const batch = list ? list[0]?.shape[0] : batchOrBoundaries;
      if (!(typeof batch === "number" && Number.isInteger(batch) && batch >= 1)) throw new RangeError(`sample: batchSize must be a positive integer, got ${typeof batchOrBoundaries === "number" ? batch : "a boundary list without a batch axis"}`);
      if (needsShapes && !list) throw new RangeError(`sample: ${cutmix ? "cutmix" : patchup ? "patchup" : "noise"} needs the boundary shapes: pass sample(key, mixup.boundaries(f, params, x)) instead of the batch size`);
      if (usesProgress && !at) throw new RangeError(`sample: ${o.alphaSchedule ? "alphaSchedule" : "offEpoch"} needs the progress: pass sample(key, batch, { epoch, step })`);
      const [kLayer, kLambda, kPerm] = split(key, 3) as [Key, Key, Key];
      const pick = <T>(from: readonly T[], k: Key) => from[from.length === 1 ? 0 : randintValues(k, [], 0, from.length)[0]!]!;
      let layer = pick(eligible, kLayer);
      const mixAlpha = at ? alphaAt("sample", o, at) : alpha;
      const off = at !== undefined && o.offEpoch !== undefined && at.epoch >= o.offEpoch;
      const maskOn = maskOption !== undefined && (maskOption === cutmix ? (cutmix.alpha ?? 1) > 0 || cutmix.minMax !== undefined : true);
      const useMask = !off && maskOn && (mixAlpha > 0 ? uniformValues(foldIn(key, EXTRA.switch), [])[0]! < (maskOption!.switchProb ?? 0.5) : true);
      const active = !off && (useMask || mixAlpha > 0);
      const pairing = drawPairing(lambdaMode, kPerm, foldIn(key, EXTRA.half), batch, selfPairs);

      if (!active) return inactiveDraw(layer, batch);
      let draw: Omit<MixupDraw, "layer" | "active">;
      if (useMask) {
        const k = foldIn(key, EXTRA.mask);
        if (cutmix) {
          layer = 0;
          const [, h, w] = imageShape("cutmix", list!, 0, "the input");
          const lambdas = betaValues(kLambda, cutmix.alpha ?? 1, cutmix.alpha ?? 1, [pairing.groups]);
          draw = maskDraw(pairing, batch, h, w, (g) => boxMask(cutmixBox(foldIn(k, g), h, w, lambdas[g]!, cutmix.minMax), h, w));
        } else {
          const spatial = eligible.filter((l) => shapeOf("patchup", list!, l).length === 4);
          if (spatial.length === 0) throw new RangeError(`patchup: no eligible layer is a spatial boundary [B,H,W,C] (NHWC); the eligible layers are ${eligible.map((l) => `${JSON.stringify(l)} [${shapeOf("patchup", list!, l).join(",")}]`).join(", ")}`);
          layer = pick(spatial, kLayer);
          const [, h, w] = shapeOf("patchup", list!, layer);
          const soft = patchup!.mode === "soft" ? betaValues(foldIn(key, EXTRA.softPatch), patchup!.alpha ?? 2, patchup!.alpha ?? 2, [pairing.groups]) : null;
          draw = maskDraw(pairing, batch, h!, w!, (g) => {
            const blocks = blockMask(foldIn(k, g), h!, w!, patchup!.gamma, patchup!.blockSize);
            return soft ? softenMask(blocks, soft[g]!) : blocks;
          });
        }
      } else if (ways > 2) {
        draw = dirichletDraw(pairing, batch, lambdaMode === "batch", ways, mixAlpha, lambdaMax, selfPairs, kLambda, kPerm);
      } else {
        draw = lerpDraw(pairing, batch, lambdaMode, mixAlpha, lambdaMax, kLambda);
      }
      if (noise) draw = { ...draw, mixing: { ...draw.mixing, noise: drawNoise(key, noise, shapeOf("noise", list!, layer)) } };
      return { ...draw, layer, active };
    },
  });
}

/** Input mixup (Zhang et al. 2018): the eligible set is the input alone. */
export function inputMixup(opts: Omit<ManifoldMixupOptions, "layers">): MixupPolicy {
  return manifoldMixup({ ...opts, layers: [0] });
}

const permArray = (perm: Int32Array) => np.array(perm, { shape: [perm.length], dtype: "int32" });

function inactiveDraw(layer: BoundaryRef, batch: number): MixupDraw {
  const identity = Int32Array.from({ length: batch }, (_, i) => i);
  return { layer, lambda: 1, perm: permArray(identity), mixing: { kind: "lerp", lambda: 1 }, active: false };
}

/** λ per group (Beta(α, α), or max(λ, 1−λ)), spread over the examples; clean examples get 1. */
function lerpDraw(pairing: Pairing, batch: number, mode: LambdaMode, alpha: number, lambdaMax: boolean, kLambda: Key): Omit<MixupDraw, "layer" | "active"> {
  const draws = betaValues(kLambda, alpha, alpha, [pairing.groups]);
  if (lambdaMax) draws.forEach((l, i) => (draws[i] = Math.max(l, 1 - l)));
  const perm = permArray(pairing.perm);
  if (mode === "batch") return { lambda: draws[0]!, perm, mixing: { kind: "lerp", lambda: draws[0]! } };
  const lambda = np.array(Float32Array.from(pairing.group, (g) => (g < 0 ? 1 : draws[g]!)), { shape: [batch] });
  return { lambda, perm, mixing: { kind: "lerp", lambda } };
}

/** One H×W mask per group (all ones for clean examples), as f32[B, H, W, 1]. */
function maskDraw(pairing: Pairing, batch: number, h: number, w: number, draw: (group: number) => Uint8Array | Float32Array): Omit<MixupDraw, "layer" | "active"> {
  const masks = globalThis.Array.from({ length: pairing.groups }, (_, g) => draw(g));
  const values = new Float32Array(batch * h * w).fill(1);
  let own = 0;
  for (let i = 0; i < batch; i++) {
    const g = pairing.group[i]!;
    if (g >= 0) values.set(masks[g]!, i * h * w);
    own += g >= 0 ? keptArea(masks[g]!) : 1;
  }
  const mask = np.array(values, { shape: [batch, h, w, 1] });
  return { lambda: own / batch, perm: permArray(pairing.perm), mixing: { kind: "mask", mask } };
}

/** Weights ~ Dirichlet(α·1_m) per group (clean examples: all weight on themselves), perms [m, B] with row 0 the identity. */
function dirichletDraw(pairing: Pairing, batch: number, perBatch: boolean, ways: number, alpha: number, lambdaMax: boolean, selfPairs: boolean, kLambda: Key, kPerm: Key): Omit<MixupDraw, "layer" | "active"> {
  const draws = dirichletValues(kLambda, new globalThis.Array<number>(ways).fill(alpha), [pairing.groups]);
  if (lambdaMax) {
    for (let g = 0; g < pairing.groups; g++) {
      const row = draws.subarray(g * ways, (g + 1) * ways);
      const top = row.indexOf(Math.max(...row));
      [row[0], row[top]] = [row[top]!, row[0]!];
    }
  }
  const perms = new Int32Array(ways * batch);
  perms.set(Int32Array.from({ length: batch }, (_, i) => i), 0);
  perms.set(pairing.perm, batch);
  for (let j = 2; j < ways; j++) perms.set(partnerIndices(foldIn(kPerm, j), batch, selfPairs), j * batch);
  const perm = np.array(perms, { shape: [ways, batch], dtype: "int32" });
  const rows = perBatch ? draws : new Float32Array(batch * ways);
  if (!perBatch) pairing.group.forEach((g, i) => (g < 0 ? (rows[i * ways] = 1) : rows.set(draws.subarray(g * ways, (g + 1) * ways), i * ways)));
  const weights = np.array(rows, { shape: perBatch ? [ways] : [batch, ways] });
  let own = 0;
  for (let i = 0; i < (perBatch ? 1 : batch); i++) own += rows[i * ways]!;
  return { lambda: own / (perBatch ? 1 : batch), perm, mixing: { kind: "dirichlet", weights } };
}

/**
 * Noisy Feature Mixup's noise for a boundary of this shape: b_add·σ_add·N(0, 1) and b_mult·σ_mult·U(−1, 1), with
 * b_add, b_mult ~ Beta(2, 5) per step (1 with fixedLevels).
 */
function drawNoise(key: Key, noise: NoiseOptions, shape: readonly number[]): FeatureNoise {
  const [bAdd, bMult] = noise.fixedLevels ? [1, 1] : betaValues(foldIn(key, EXTRA.noiseLevels), 2, 5, [2]);
  const out: { add?: Array; mult?: Array } = {};
  if ((noise.add ?? 0) > 0) out.add = np.array(normalValues(foldIn(key, EXTRA.addNoise), shape).map((v) => v * noise.add! * bAdd!), { shape });
  if ((noise.mult ?? 0) > 0) out.mult = np.array(uniformValues(foldIn(key, EXTRA.multNoise), shape, { min: -1, max: 1 }).map((v) => v * noise.mult! * bMult!), { shape });
  return out;
}

function shapeOf(what: string, list: readonly Boundary[], layer: BoundaryRef): readonly number[] {
  return list[resolveBoundary(what, layer, list)]!.shape;
}

function imageShape(what: string, list: readonly Boundary[], layer: BoundaryRef, name: string): readonly [number, number, number, number] {
  const shape = shapeOf(what, list, layer);
  if (shape.length !== 4) throw new RangeError(`${what}: needs an image [B,H,W,C] (NHWC) at ${name}, got [${shape.join(",")}]`);
  return shape as [number, number, number, number];
}

export { LAMBDA_MODES };

import { inputMixup, LAMBDA_MODES as MIXUP_LAMBDA_MODES, manifoldMixup, PATCHUP_MODES as MIXUP_PATCHUP_MODES, type LambdaMode, type ManifoldMixupOptions, type MixupPolicy, type PatchUpMode, type TrainStepOptions } from "@mmx/mixup";
import { cosine } from "@mmx/optim";

/** Where a method mixes: nowhere, at the input only, or at an eligible set of boundaries (`--layers`). */
export type Placement = "nowhere" | "input" | "eligible";

/**
 * How one λ draw is shared (timm's names): `batch` one for the batch (the paper's), `pair` one per pair of
 * partners, `elem` one per example, `half` half the batch mixed and the other half clean.
 */
export const LAMBDA_MODES: readonly LambdaMode[] = MIXUP_LAMBDA_MODES;
export type { LambdaMode, PatchUpMode };
export const PATCHUP_MODES: readonly PatchUpMode[] = MIXUP_PATCHUP_MODES;

/** How mixup's α moves over a run: `constant`, or `cosine` from α at the first step to 0 at the last. */
export const ALPHA_SCHEDULES = ["constant", "cosine"] as const;
export type AlphaScheduleName = (typeof ALPHA_SCHEDULES)[number];

/** A run's mixing settings, as a method's policy reads them (absent fields: the method's defaults). */
export interface MixSettings {
  alpha: number;
  layers: readonly number[];
  /** Absent: per batch. */
  lambdaMode?: LambdaMode;
  /** Use max(λ, 1 − λ) (fastai's choice): each example stays closest to itself. */
  lambdaMax?: boolean;
  /** false: pair every example with another (a derangement). */
  selfPairs?: boolean;
  /** Examples combined per mixed example (>= 3: Dirichlet n-way mixing). */
  ways?: number;
  /** CutMix's own α (default: `alpha`). */
  cutmixAlpha?: number;
  /** CutMix's box sides as fractions [lo, hi] of the image's. */
  cutmixMinMax?: readonly [number, number];
  /** The probability of a CutMix or PatchUp step rather than a mixup step. */
  switchProb?: number;
  patchupGamma?: number;
  patchupBlockSize?: number;
  patchupMode?: PatchUpMode;
  /** Soft PatchUp's λ ~ Beta(α, α) inside the blocks. */
  patchupAlpha?: number;
  /** Noisy Feature Mixup's noise levels. */
  noiseAdd?: number;
  noiseMult?: number;
  /** The noise levels as given on every step (no Beta(2, 5) scaling). */
  noiseFixedLevels?: boolean;
  alphaSchedule?: AlphaScheduleName;
  /** The first epoch without mixing. */
  offEpoch?: number;
}

/** What the run's length adds to the settings: a schedule of α spans the run's steps. */
export interface RunLength {
  totalSteps: number;
}

/** A boundary of the model, as the checks of a method read it. */
export interface BoundaryShape {
  readonly index: number;
  readonly name: string;
  readonly shape: readonly number[];
}

/** The options every policy shares: λ sharing, pairing, n-way mixing, α's schedule and the off epoch. */
function common(s: MixSettings, run: RunLength | undefined): Omit<ManifoldMixupOptions, "alpha" | "layers"> {
  const schedule = s.alphaSchedule ?? "constant";
  if (schedule !== "constant" && run === undefined) throw new Error(`the α schedule '${schedule}' needs the run's length`);
  return {
    lambdaMode: s.lambdaMode ?? "batch",
    lambdaMax: s.lambdaMax ?? false,
    ...(s.selfPairs === false ? { selfPairs: false } : {}),
    ...(s.ways !== undefined ? { ways: s.ways } : {}),
    ...(schedule === "cosine" ? { alphaSchedule: cosine({ base: s.alpha, steps: run!.totalSteps }) } : {}),
    ...(s.offEpoch !== undefined ? { offEpoch: s.offEpoch } : {}),
  };
}

/** One training method: its name in tables, its defaults, and the policy a training step draws from. */
export interface MethodSpec {
  /** As tables and summaries name it ("manifold mixup"). */
  readonly title: string;
  /** λ ~ Beta(α, α): the default α (0 for a method that does not mix). */
  readonly alpha: number;
  readonly placement: Placement;
  /** The mixup policy of a run's settings, or undefined for no mixing; `run` is needed by an α schedule. */
  policy(settings: MixSettings, run?: RunLength): MixupPolicy | undefined;
  /** What the training step needs beside the policy (RegMixup's clean loss and its weight). */
  stepOptions?(settings: { regMixupWeight?: number }): Pick<TrainStepOptions, "regMixup">;
  /** Why the method cannot train this model at these boundaries (CutMix needs images), or undefined. */
  unfit?(all: readonly BoundaryShape[], layers: readonly number[]): string | undefined;
}

const spatial = (b: BoundaryShape) => b.shape.length === 4;

/**
 * Every method `mmx train --method` and `mmx reproduce --methods` accept, one entry each, with its defaults (each
 * a flag of `mmx train` changes). The α of input and manifold mixup are the paper's (1 and 2); CutMix's box area
 * follows Beta(1, 1) as in Yun et al., on every step unless --switch-prob mixes some steps with input mixup at the
 * same α; PatchUp swaps about half the grid (γ = 0.5) in 2x2 blocks on half the steps, manifold mixup on the others;
 * Noisy Feature Mixup's levels are σ_add = 0.4 and σ_mult = 0.2 (each scaled by Beta(2, 5) per step, as its official
 * code); RegMixup adds the clean loss to an input-mixup loss (weight 1) with α = 10 (its paper's large α).
 */
export const METHOD_REGISTRY = {
  none: { title: "no mixup", alpha: 0, placement: "nowhere", policy: () => undefined },
  input: { title: "input mixup", alpha: 1, placement: "input", policy: (s: MixSettings, run?: RunLength) => inputMixup({ alpha: s.alpha, ...common(s, run) }) },
  manifold: { title: "manifold mixup", alpha: 2, placement: "eligible", policy: (s: MixSettings, run?: RunLength) => manifoldMixup({ alpha: s.alpha, layers: s.layers, ...common(s, run) }) },
  cutmix: {
    title: "CutMix",
    alpha: 1,
    placement: "input",
    // Without a switch probability mixup's own α is 0: every step pastes a box, of area about 1 − λ with λ ~ Beta(α, α).
    policy: (s: MixSettings, run?: RunLength) =>
      manifoldMixup({
        alpha: s.switchProb === undefined ? 0 : s.alpha,
        layers: [0],
        cutmix: { alpha: s.cutmixAlpha ?? s.alpha, ...(s.cutmixMinMax ? { minMax: s.cutmixMinMax } : {}), ...(s.switchProb !== undefined ? { switchProb: s.switchProb } : {}) },
        ...common(s, run),
      }),
    unfit: (all) => (spatial(all[0]!) ? undefined : `CutMix pastes boxes into images [B,H,W,C]; this model's input is [${all[0]!.shape.join(",")}]`),
  },
  patchup: {
    title: "PatchUp",
    alpha: 2,
    placement: "eligible",
    policy: (s: MixSettings, run?: RunLength) =>
      manifoldMixup({
        alpha: s.alpha,
        layers: s.layers,
        patchup: { gamma: s.patchupGamma ?? 0.5, blockSize: s.patchupBlockSize ?? 2, ...(s.patchupMode ? { mode: s.patchupMode } : {}), ...(s.patchupAlpha !== undefined ? { alpha: s.patchupAlpha } : {}), ...(s.switchProb !== undefined ? { switchProb: s.switchProb } : {}) },
        ...common(s, run),
      }),
    unfit: (all, layers) => (layers.some((l) => spatial(all[l]!)) ? undefined : `PatchUp swaps blocks of feature maps [B,H,W,C]; none of the boundaries ${layers.map((l) => `${l} ${all[l]!.name} [${all[l]!.shape.join(",")}]`).join(", ")} is one`),
  },
  nfm: { title: "Noisy Feature Mixup", alpha: 1, placement: "eligible", policy: (s: MixSettings, run?: RunLength) => manifoldMixup({ alpha: s.alpha, layers: s.layers, noise: { add: s.noiseAdd ?? 0.4, mult: s.noiseMult ?? 0.2, ...(s.noiseFixedLevels ? { fixedLevels: true } : {}) }, ...common(s, run) }) },
  regmixup: { title: "RegMixup", alpha: 10, placement: "input", policy: (s: MixSettings, run?: RunLength) => inputMixup({ alpha: s.alpha, ...common(s, run) }), stepOptions: (s) => ({ regMixup: { weight: s.regMixupWeight ?? 1 } }) },
} as const satisfies Readonly<Record<string, MethodSpec>>;

export type Method = keyof typeof METHOD_REGISTRY;
export const METHODS = Object.keys(METHOD_REGISTRY) as readonly Method[];

export const methodSpec = (m: Method): MethodSpec => METHOD_REGISTRY[m];

import { inputMixup, LAMBDA_MODES as MIXUP_LAMBDA_MODES, manifoldMixup, type LambdaMode, type MixupPolicy, type TrainStepOptions } from "@mmx/mixup";

/** Where a method mixes: nowhere, at the input only, or at an eligible set of boundaries (`--layers`). */
export type Placement = "nowhere" | "input" | "eligible";

/**
 * How one λ draw is shared (timm's names): `batch` one for the batch (the paper's), `pair` one per pair of
 * partners, `elem` one per example, `half` half the batch mixed and the other half clean.
 */
export const LAMBDA_MODES: readonly LambdaMode[] = MIXUP_LAMBDA_MODES;
export type { LambdaMode };

/** A run's mixing settings, as a method's policy reads them. */
export interface MixSettings {
  alpha: number;
  layers: readonly number[];
  /** Absent: per batch. */
  lambdaMode?: LambdaMode;
  /** Use max(λ, 1 − λ) (fastai's choice): each example stays closest to itself. */
  lambdaMax?: boolean;
}

/** A boundary of the model, as the checks of a method read it. */
export interface BoundaryShape {
  readonly index: number;
  readonly name: string;
  readonly shape: readonly number[];
}

const lambdaOptions = (s: MixSettings) => ({ lambdaMode: s.lambdaMode ?? "batch", lambdaMax: s.lambdaMax ?? false });

/** One training method: its name in tables, its defaults, and the policy a training step draws from. */
export interface MethodSpec {
  /** As tables and summaries name it ("manifold mixup"). */
  readonly title: string;
  /** λ ~ Beta(α, α): the default α (0 for a method that does not mix). */
  readonly alpha: number;
  readonly placement: Placement;
  /** The mixup policy of a run's settings, or undefined for no mixing. */
  policy(settings: MixSettings): MixupPolicy | undefined;
  /** What the training step needs beside the policy (RegMixup's clean loss). */
  stepOptions?: Pick<TrainStepOptions, "regMixup">;
  /** Why the method cannot train this model at these boundaries (CutMix needs images), or undefined. */
  unfit?(all: readonly BoundaryShape[], layers: readonly number[]): string | undefined;
}

const spatial = (b: BoundaryShape) => b.shape.length === 4;

/**
 * Every method `mmx train --method` and `mmx reproduce --methods` accept, one entry each, with its defaults. The
 * α of input and manifold mixup are the paper's (1 and 2); CutMix's box area follows Beta(1, 1) as in Yun et
 * al.; PatchUp swaps about half the grid (γ = 0.5) in 2x2 blocks on half the steps, manifold mixup on the others;
 * Noisy Feature Mixup adds N(0, 0.4²) and multiplies by 1 + U(−0.2, 0.2) after mixing; RegMixup adds the clean
 * loss to an input-mixup loss with α = 10 (its paper's large α).
 */
export const METHOD_REGISTRY = {
  none: { title: "no mixup", alpha: 0, placement: "nowhere", policy: () => undefined },
  input: { title: "input mixup", alpha: 1, placement: "input", policy: (s) => inputMixup({ alpha: s.alpha, ...lambdaOptions(s) }) },
  manifold: { title: "manifold mixup", alpha: 2, placement: "eligible", policy: (s) => manifoldMixup({ alpha: s.alpha, layers: s.layers, ...lambdaOptions(s) }) },
  cutmix: {
    title: "CutMix",
    alpha: 1,
    placement: "input",
    // Mixup's own α is 0: every step pastes a box, of area about 1 − λ with λ ~ Beta(α, α).
    policy: (s) => manifoldMixup({ alpha: 0, layers: [0], cutmix: { alpha: s.alpha }, ...lambdaOptions(s) }),
    unfit: (all) => (spatial(all[0]!) ? undefined : `CutMix pastes boxes into images [B,H,W,C]; this model's input is [${all[0]!.shape.join(",")}]`),
  },
  patchup: {
    title: "PatchUp",
    alpha: 2,
    placement: "eligible",
    policy: (s) => manifoldMixup({ alpha: s.alpha, layers: s.layers, patchup: { gamma: 0.5, blockSize: 2 }, ...lambdaOptions(s) }),
    unfit: (all, layers) => (layers.some((l) => spatial(all[l]!)) ? undefined : `PatchUp swaps blocks of feature maps [B,H,W,C]; none of the boundaries ${layers.map((l) => `${l} ${all[l]!.name} [${all[l]!.shape.join(",")}]`).join(", ")} is one`),
  },
  nfm: { title: "Noisy Feature Mixup", alpha: 1, placement: "eligible", policy: (s) => manifoldMixup({ alpha: s.alpha, layers: s.layers, noise: { add: 0.4, mult: 0.2 }, ...lambdaOptions(s) }) },
  regmixup: { title: "RegMixup", alpha: 10, placement: "input", policy: (s) => inputMixup({ alpha: s.alpha, ...lambdaOptions(s) }), stepOptions: { regMixup: { weight: 1 } } },
} as const satisfies Readonly<Record<string, MethodSpec>>;

export type Method = keyof typeof METHOD_REGISTRY;
export const METHODS = Object.keys(METHOD_REGISTRY) as readonly Method[];

export const methodSpec = (m: Method): MethodSpec => METHOD_REGISTRY[m];

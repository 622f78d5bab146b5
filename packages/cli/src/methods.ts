import { inputMixup, manifoldMixup, type MixupPolicy } from "@mmx/mixup";

/** Where a method mixes: nowhere, at the input only, or at an eligible set of boundaries (`--layers`). */
export type Placement = "nowhere" | "input" | "eligible";

/** How λ is drawn: once per batch (the paper's), or once per example (reported to perform the same). */
export const LAMBDA_MODES = ["batch", "example"] as const;
export type LambdaMode = (typeof LAMBDA_MODES)[number];

/** A run's mixing settings, as a method's policy reads them. */
export interface MixSettings {
  alpha: number;
  layers: readonly number[];
  /** Absent: per batch. */
  lambdaMode?: LambdaMode;
  /** Use max(λ, 1 − λ) (fastai's choice): each example stays closest to itself. */
  lambdaMax?: boolean;
}

const lambdaOptions = (s: MixSettings) => ({ perExample: s.lambdaMode === "example", lambdaMax: s.lambdaMax ?? false });

/** One training method: its name in tables, its defaults, and the policy a training step draws from. */
export interface MethodSpec {
  /** As tables and summaries name it ("manifold mixup"). */
  readonly title: string;
  /** λ ~ Beta(α, α): the default α (0 for a method that does not mix). */
  readonly alpha: number;
  readonly placement: Placement;
  /** The mixup policy of a run's settings, or undefined for no mixing. */
  policy(settings: MixSettings): MixupPolicy | undefined;
}

/**
 * Every method `mmx train --method` and `mmx reproduce --methods` accept, one entry each. The α defaults are
 * the paper's: 1 for input mixup, 2 for manifold mixup (CIFAR-10, SVHN).
 */
export const METHOD_REGISTRY = {
  none: { title: "no mixup", alpha: 0, placement: "nowhere", policy: () => undefined },
  input: { title: "input mixup", alpha: 1, placement: "input", policy: (s) => inputMixup({ alpha: s.alpha, ...lambdaOptions(s) }) },
  manifold: { title: "manifold mixup", alpha: 2, placement: "eligible", policy: (s) => manifoldMixup({ alpha: s.alpha, layers: s.layers, ...lambdaOptions(s) }) },
} as const satisfies Readonly<Record<string, MethodSpec>>;

export type Method = keyof typeof METHOD_REGISTRY;
export const METHODS = Object.keys(METHOD_REGISTRY) as readonly Method[];

export const methodSpec = (m: Method): MethodSpec => METHOD_REGISTRY[m];

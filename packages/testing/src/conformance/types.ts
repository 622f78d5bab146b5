import type { Array, BackendName } from "@mmx/core";
import type { Tolerance } from "../close.js";

/** A boundary as the transform names it: its index (0 = the input) or its tag name. */
export type LayerRef = number | string;

/** What a mixed model returns: its output and the mixed targets (one-hot rows mixed like the features). */
export interface MixedOutput {
  out: Array;
  targets: Array;
}

/** A model function under test: logits of (params, x) (or an object with `out`). */
export type ModelFunction<P> = (params: P, x: Array) => Array | { out: Array };

/**
 * The mixup transform under test, with the signature of @mmx/mixup's `mixup`: `mixup(k, λ)(f)` is f with
 * its state at boundary k replaced by λ·h + (1−λ)·h[perm], called as `(params, x, y, perm)`. Pass mmx's own,
 * or your wrapper of it: the suite checks whatever it is given. `boundaries` (as `mixup.boundaries`) lists
 * where it can mix; without it, give `layers`.
 */
export interface MixupTransform {
  (layer: LayerRef, how: number | Array | MaskMixingArg, opts?: CutOptions): <P>(f: ModelFunction<P>) => (params: P, x: Array, y: Array, perm: readonly number[] | Array) => MixedOutput;
  boundaries?: (f: (params: any, x: Array) => unknown, ...exampleArgs: unknown[]) => readonly { index: number; name: string; shape: readonly number[] }[];
}

/** Mask mixing as @mmx/mixup takes it: `m ⊙ h + (1 − m) ⊙ h[perm]` for a mask m of 0s and 1s, targets weighted by its mean. */
export interface MaskMixingArg {
  readonly kind: "mask";
  readonly mask: Array;
}

/** Where mixing at boundary k applies: every value crossing the cut after the tag ("cut"), or the tag only. */
export interface CutOptions {
  at?: "cut" | "tag";
}

/** What the transform can do beyond λ mixing: the checks of these features run only when declared. */
export interface TransformFeatures {
  /** It takes `{ kind: "mask", mask }` in place of λ (CutMix, PatchUp). */
  masks?: boolean;
  /** It takes `{ at: "cut" }`: at boundary k it mixes every value crossing the cut (a residual block's skip path too). */
  cutPoints?: boolean;
}

/** The model, an example batch, and the transform the suite checks. */
export interface ConformanceSubject<P = unknown> {
  mixup: MixupTransform;
  /**
   * The model as the transform sees it. Give it in evaluation mode (batch norm from running statistics):
   * the checks compare rows of differently mixed batches, which a model mixing examples (batch statistics)
   * makes differ by design.
   */
  model: ModelFunction<P>;
  params: P;
  /** An example batch x [B, ...] (B >= 3, so that the suite's pairing is not its own inverse) and int32 labels y [B]. */
  x: Array;
  y: Array;
  /** The boundaries to check at; default: every boundary `mixup.boundaries` lists, except the output. */
  layers?: readonly LayerRef[];
  /** Features of the transform to check beyond λ mixing (default: none). */
  supports?: TransformFeatures;
}

/** Everything one check needs for one backend and one boundary; the arrays live on that backend. */
export interface CheckContext<P = unknown> {
  readonly backend: BackendName;
  readonly layer: LayerRef;
  readonly subject: ConformanceSubject<P>;
  readonly params: P;
  readonly x: Array;
  readonly y: Array;
  readonly batch: number;
  readonly classes: number;
  /** The pairing the checks use: a cyclic shift, with no fixed point and not its own inverse. */
  readonly perm: readonly number[];
  /** The boundary's shape (batch first), where known: from `mixup.boundaries`, or x's at the input. */
  readonly shape: readonly number[] | undefined;
  /** The transform under test at this boundary: `mixup(layer, how, opts)(model)(params, x, y, perm)`. */
  mixed(how: number | Array | MaskMixingArg, perm?: readonly number[], opts?: CutOptions): MixedOutput;
  /** The model's own output on the clean batch. */
  plain(): Array;
  readonly tolerance: Required<Tolerance>;
}

/** A check failed: its message says what differed. */
export class ConformanceFailure extends Error {
  override readonly name = "ConformanceFailure";
}

/**
 * One named check of the suite. `applies` returns why it does not apply to a subject (the result is
 * "skip" with that reason), or undefined; `run` throws a ConformanceFailure (or any error) when it fails.
 */
export interface ConformanceCheck {
  readonly name: string;
  readonly description: string;
  applies?(subject: ConformanceSubject<any>): string | undefined;
  /** Resolves (with an optional note, kept as the result's message) when the check passes. */
  run(ctx: CheckContext<any>): Promise<void | string>;
}

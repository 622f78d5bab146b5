import type { Array, PyTree } from "@mmx/core";

/** A model is a plain function of a params tree and an input batch, returning logits. */
export type Model<P extends PyTree = any> = (params: P, x: Array) => Array;

/** A loss takes the model's logits and the batch's targets and returns a float32 scalar. */
export type Loss<Y extends PyTree = any> = (logits: Array, y: Y) => Array;

/** The valid input range [lo, hi] (images: [0, 1]); null leaves the input unclipped. */
export type ClipRange = readonly [number, number] | null;

/** What an attack was built with, after validation and defaults. */
export interface AttackSettings {
  readonly kind: "fgsm" | "ifgsm" | "pgd";
  readonly eps: number;
  readonly stepSize: number;
  readonly steps: number;
  readonly clip: ClipRange;
  readonly randomStart: boolean;
  readonly norm: "linf";
}

/**
 * `attack(params, x, y)` returns the adversarial batch (a new array; x is left alone). Every step is
 * a jitted program cached by the shapes of its inputs, so attacking batch after batch re-uses it.
 */
export interface Attack<P extends PyTree = any, Y extends PyTree = any> {
  (params: P, x: Array, y: Y): Array;
  /**
   * The adversarial batch and the loss at every iterate: `losses[t]` is the loss after t steps
   * (`losses[0]` at the starting point: x, or the random start), `steps + 1` numbers in all.
   */
  withLosses(params: P, x: Array, y: Y): { x: Array; losses: number[] };
  readonly settings: AttackSettings;
  /** Frees the compiled programs (they are rebuilt on the next call). */
  clearCache(): void;
}

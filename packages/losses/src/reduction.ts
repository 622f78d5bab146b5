import { type Array, np } from "@mmx/core";

/**
 * How a loss reduces its per-example values: `"mean"` (the default) averages over the batch into a
 * float32 scalar; `"none"` returns one value per example, shape [B], whose mean is the `"mean"` loss.
 */
export type Reduction = "mean" | "none";

export interface LossOptions {
  reduction?: Reduction;
}

/**
 * A loss on a model's outputs: `(outputs [B, ...], targets, options?) -> scalar` (or [B] with
 * `reduction: "none"`). Every loss in this package has this type, so `mixedLoss` can take any of them.
 */
export type Loss = (outputs: Array, targets: Array, options?: LossOptions) => Array;

export function reduce(perExample: Array, options: LossOptions | undefined, what: string): Array {
  const reduction = options?.reduction ?? "mean";
  if (reduction === "none") return perExample;
  if (reduction === "mean") return np.mean(perExample);
  throw new TypeError(`${what}: reduction must be "mean" or "none", got ${JSON.stringify(reduction)}`);
}

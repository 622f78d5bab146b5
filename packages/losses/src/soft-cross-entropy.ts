import { type Array, np } from "@mmx/core";
import { logSoftmax } from "./log-softmax.js";
import { type LossOptions, reduce } from "./reduction.js";
import { assertLogits, softTargets } from "./validate.js";

/**
 * Cross-entropy against soft targets: `mean_b(-sum_c targets[b,c] · logSoftmax(logits)[b,c])`.
 * `targets` are distributions (mixed one-hots) [B, C], or int32 labels [B] (their one-hot rows, which
 * makes this `nll`). Invariant to adding a constant to a row of logits.
 */
export function softCrossEntropy(logits: Array, targets: Array, options?: LossOptions): Array {
  const what = "softCrossEntropy";
  assertLogits(logits, what);
  const t = softTargets(targets, logits, what);
  const logp = logSoftmax(logits);
  // A class the target gives no weight costs nothing, even where its log-probability is -inf (a
  // masked logit): 0 · -inf would be NaN.
  const terms = np.where(np.equal(t, 0), 0, np.mul(t, logp));
  return reduce(np.neg(np.sum(terms, { axis: -1 })), options, what);
}

import { Array, np } from "@mmx/core";
import { logSoftmax } from "./log-softmax.js";
import { type LossOptions, reduce } from "./reduction.js";
import { assertLabels, assertLogits, describe } from "./validate.js";

/**
 * Mean negative log-likelihood of int32 hard labels [B] under softmax(logits) [B, C]: the
 * cross-entropy of logits, as PyTorch's `nn.CrossEntropyLoss()` (which takes logits, not log-probs).
 * For soft or one-hot float targets use `softCrossEntropy`.
 */
export function nll(logits: Array, labels: Array, options?: LossOptions): Array {
  const what = "nll";
  assertLogits(logits, what);
  if (!(labels instanceof Array) || labels.dtype !== "int32") {
    throw new TypeError(`${what}: labels must be int32 class indices [${logits.shape[0]}], got ${describe(labels)}; for float (soft or one-hot) targets use softCrossEntropy`);
  }
  assertLabels(labels, logits, what);
  const picked = np.greater(np.oneHot(labels, logits.shape[1]!), 0);
  // Select rather than multiply by the one-hot: other classes may have log-probability -inf.
  const logLikelihood = np.sum(np.where(picked, logSoftmax(logits), 0), { axis: -1 });
  return reduce(np.neg(logLikelihood), options, what);
}

/** The cross-entropy of logits against int32 labels: another name for `nll`. */
export const crossEntropy = nll;

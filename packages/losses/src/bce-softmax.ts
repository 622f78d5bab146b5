import { type Array, np } from "@mmx/core";
import { logSoftmaxParts, rowShift } from "./log-softmax.js";
import { type LossOptions, reduce } from "./reduction.js";
import { assertLogits, softTargets } from "./validate.js";

/** PyTorch's BCELoss clamps each log at -100 so that a probability of 0 or 1 costs a finite amount. */
const LOG_FLOOR = -100;

/**
 * Binary cross-entropy of softmax probabilities against targets, averaged over all B·C elements:
 * PyTorch's `nn.BCELoss()(softmax(logits, 1), targets)`, the official manifold_mixup training loss.
 * `targets` are float32 [B, C] (mixed one-hots) or int32 labels [B] (their one-hot rows). With
 * `reduction: "none"`, each example's mean over its C elements, shape [B].
 *
 * Computed from the logits without forming 1 - p: log p = log softmax; off the row's maximum
 * p <= 1/2, so log(1 - p) = log1p(-p) is accurate there; at the maximum, where p may round to 1,
 * log(1 - p) = logSumExp(the other logits) - logSumExp(all). Each log is clamped at -100 as PyTorch
 * does, so both agree wherever PyTorch's own 1 - p is accurate and wherever the true log is below
 * -100. (Between, when a row's top logit leads by more than ~17 in float32 or ~37 in float64,
 * PyTorch's 1 - p rounds to 0 and it charges the clamp, -100: we keep the true value.) Where the
 * clamp is active the gradient of that term is 0, the derivative of the clamped loss.
 */
export function bceSoftmax(logits: Array, targets: Array, options?: LossOptions): Array {
  const what = "bceSoftmax";
  assertLogits(logits, what);
  const t = softTargets(targets, logits, what);
  const parts = logSoftmaxParts(logits);
  const logNotP = logits.shape[1] === 1 ? np.fullLike(logits, -Infinity) : logOneMinusSoftmax(logits, parts);
  const logP = np.maximum(parts.logP, LOG_FLOOR);
  const elementwise = np.neg(np.add(np.mul(t, logP), np.mul(np.sub(1, t), np.maximum(logNotP, LOG_FLOOR))));
  return reduce(np.mean(elementwise, { axis: -1 }), options, what);
}

/** log(1 - softmax(logits)) for C >= 2, accurate even where the probability rounds to 1. */
function logOneMinusSoftmax(logits: Array, { logP, shift, logSum }: ReturnType<typeof logSoftmaxParts>): Array {
  // The first maximum of each row: every other class has probability <= 1/2.
  const top = np.greater(np.oneHot(np.argmax(logits, -1), logits.shape[1]!), 0);
  const others = np.where(top, -Infinity, logits);
  // log(sum over the others of exp(x)) - log(sum over all), each sum taken about its own maximum.
  const othersShift = rowShift(others);
  const othersSum = np.sum(np.exp(np.sub(others, othersShift)), { axis: -1, keepdims: true });
  // Rows whose other logits are all -inf have 1 - p = 0: keep log's unused branch off 0 (no NaN gradient).
  const empty = np.equal(othersSum, 0);
  const logOthers = np.log(np.where(empty, 1, othersSum));
  const atTop = np.where(empty, -Infinity, np.sub(np.add(np.sub(othersShift, shift), logOthers), logSum));
  // Feed log1p a harmless 0 at the maximum for the same reason.
  const pOff = np.where(top, 0, np.exp(logP));
  return np.where(top, atTop, np.log1p(np.neg(pOff)));
}

import { type Array, lax, np } from "@mmx/core";

/**
 * A row's maximum as a constant shift for log-sum-exp (0 where the row is all -inf, so that
 * -inf - -inf gives no NaN). The shift's gradient is stopped: the functions below are invariant to it.
 */
export function rowShift(x: Array): Array {
  const m = np.max(x, { axis: -1, keepdims: true });
  return lax.stopGradient(np.where(np.greater(m, -Infinity), m, 0));
}

/**
 * log softmax along the last axis as `(x - m) - log(sum(exp(x - m)))`. Unlike `x - logSumExp(x)`,
 * which adds the shift back before subtracting, this keeps full precision for large logits: at 1e4
 * a float32 ulp is 1e-3, and `(x - m)` is exact for the row's larger entries.
 * Returns the log-probabilities and `log(sum(exp(x - m)))` [.., 1] (in [0, log C] where finite).
 */
export function logSoftmaxParts(x: Array): { logP: Array; shift: Array; logSum: Array } {
  const shift = rowShift(x);
  const z = np.sub(x, shift);
  const logSum = np.log(np.sum(np.exp(z), { axis: -1, keepdims: true }));
  return { logP: np.sub(z, logSum), shift, logSum };
}

export function logSoftmax(x: Array): Array {
  return logSoftmaxParts(x).logP;
}

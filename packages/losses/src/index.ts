/**
 * @mmx/losses: numerically stable losses on logits, written with @mmx/core np operations so that they
 * trace, differentiate and jit. Each returns a float32 scalar (the batch mean unless stated), or one
 * value per example with `{ reduction: "none" }`.
 */
export { softCrossEntropy } from "./soft-cross-entropy.js";
export { bceSoftmax } from "./bce-softmax.js";
export { nll, crossEntropy } from "./nll.js";
export { mse } from "./mse.js";
export { mixedLoss } from "./mixed-loss.js";
export { smoothLabels, checkSmoothing } from "./smooth-labels.js";
export { checkLabels } from "./validate.js";
export type { Loss, LossOptions, Reduction } from "./reduction.js";

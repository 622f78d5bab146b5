import { Array, np } from "@mmx/core";
import { type LossOptions, reduce } from "./reduction.js";
import { assertLabels, checkBatch, describe, sameShape } from "./validate.js";

/**
 * Mean squared error over all elements, as PyTorch's `nn.MSELoss()`. `target` is float32 of pred's
 * shape, or, for pred [B, C], int32 labels [B] (compared with their one-hot rows: the Brier score
 * times 1/C). With `reduction: "none"` each example's mean over its elements, shape [B].
 */
export function mse(pred: Array, target: Array, options?: LossOptions): Array {
  const what = "mse";
  if (!(pred instanceof Array) || pred.dtype !== "float32" || pred.ndim < 1) {
    throw new TypeError(`${what}: pred must be a float32 Array with a batch axis, got ${describe(pred)}`);
  }
  checkBatch(pred, what);
  if (!(target instanceof Array)) throw new TypeError(`${what}: target must be an Array, got ${describe(target)}`);
  let t = target;
  if (target.dtype === "int32" && pred.ndim === 2) {
    assertLabels(target, pred, what);
    t = np.oneHot(target, pred.shape[1]!);
  } else if (target.dtype !== "float32" || !sameShape(target.shape, pred.shape)) {
    throw new TypeError(`${what}: target must be float32 [${pred.shape.join(",")}] like pred${pred.ndim === 2 ? ` (or int32 labels [${pred.shape[0]}])` : ""}, got ${describe(target)}`);
  }
  const squared = np.square(np.sub(pred, t));
  const perExample = pred.ndim === 1 ? squared : np.mean(squared, { axis: pred.shape.slice(1).map((_, i) => i + 1) });
  return reduce(perExample, options, what);
}

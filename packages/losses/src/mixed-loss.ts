import { Array, isTracer, np } from "@mmx/core";
import type { Loss } from "./reduction.js";
import { describe } from "./validate.js";

/**
 * The mixup loss in the fastai / facebook mixup-cifar10 form: returns `(logits) =>
 * λ·loss(logits, y) + (1 − λ)·loss(logits, take(y, perm))`.
 *
 * - `loss`: any `Loss` of this package (or one of the same type). `y` is passed to it unchanged, so
 *   `y` is whatever that loss takes: int32 labels [B] for `nll` / `crossEntropy`; int32 labels or
 *   float32 one-hot / soft targets [B, C] for `softCrossEntropy`, `bceSoftmax` and `mse`.
 * - `lambda`: a number in [0, 1], a float32 scalar Array, or a float32 [B] Array giving each example
 *   its own λ (then each example's loss is weighted: the loss is called with `reduction: "none"` and
 *   the weighted values are averaged over the batch).
 * - `perm`: the permutation of the batch that the inputs were mixed with (int32 [B] or a JS array).
 *
 * Values of a concrete λ or perm are checked (λ in [0, 1], perm a permutation); traced ones cannot be.
 */
export function mixedLoss(loss: Loss, lambda: number | Array, y: Array, perm: Array | readonly number[]): (logits: Array) => Array {
  const what = "mixedLoss";
  if (typeof loss !== "function") throw new TypeError(`${what}: loss must be a function (logits, targets, options?) => Array, got ${describe(loss)}`);
  if (!(y instanceof Array) || y.ndim < 1) throw new TypeError(`${what}: y must be an Array of labels or targets with a batch axis, got ${describe(y)}`);
  const batch = y.shape[0]!;
  checkPerm(perm, batch, what);
  const perExample = checkLambda(lambda, batch, what);

  return (logits: Array) => {
    if (!(logits instanceof Array) || logits.shape[0] !== batch) {
      throw new TypeError(`${what}: logits ${describe(logits)} do not match the batch of ${batch} that y and perm have`);
    }
    const yPerm = () => np.take(y, perm);
    if (typeof lambda === "number") {
      // The extremes need only one term (and give the plain loss exactly).
      if (lambda === 1) return loss(logits, y);
      if (lambda === 0) return loss(logits, yPerm());
      return np.add(np.mul(loss(logits, y), lambda), np.mul(loss(logits, yPerm()), 1 - lambda));
    }
    if (!perExample) return np.add(np.mul(lambda, loss(logits, y)), np.mul(np.sub(1, lambda), loss(logits, yPerm())));
    const a = perExampleLoss(loss, logits, y, batch, what);
    const b = perExampleLoss(loss, logits, yPerm(), batch, what);
    return np.mean(np.add(np.mul(lambda, a), np.mul(np.sub(1, lambda), b)));
  };
}

function perExampleLoss(loss: Loss, logits: Array, targets: Array, batch: number, what: string): Array {
  const values = loss(logits, targets, { reduction: "none" });
  if (!(values instanceof Array) || values.ndim !== 1 || values.shape[0] !== batch) {
    throw new TypeError(`${what}: a per-example λ needs a loss that returns one value per example ([${batch}]) with { reduction: "none" }; this loss returned ${describe(values)}`);
  }
  return values;
}

/** Returns whether λ is per-example. */
function checkLambda(lambda: number | Array, batch: number, what: string): boolean {
  if (typeof lambda === "number") {
    if (!(lambda >= 0 && lambda <= 1)) throw new RangeError(`${what}: λ must lie in [0, 1], got ${lambda}`);
    return false;
  }
  if (!(lambda instanceof Array) || lambda.dtype !== "float32" || !(lambda.ndim === 0 || (lambda.ndim === 1 && lambda.shape[0] === batch))) {
    throw new TypeError(`${what}: λ must be a number, a float32 scalar or a float32 [${batch}] Array (one per example), got ${describe(lambda)}`);
  }
  if (!isTracer(lambda)) {
    const values = lambda.dataSync();
    const bad = values.findIndex((v) => !(v >= 0 && v <= 1));
    if (bad >= 0) throw new RangeError(`${what}: λ must lie in [0, 1], got ${values[bad]}${lambda.ndim ? ` at index ${bad}` : ""}`);
  }
  return lambda.ndim === 1;
}

function checkPerm(perm: Array | readonly number[], batch: number, what: string): void {
  let values: ArrayLike<number>;
  if (perm instanceof Array) {
    if (perm.dtype !== "int32" || perm.ndim !== 1 || perm.shape[0] !== batch) {
      throw new TypeError(`${what}: perm must be int32 [${batch}] to match y's batch, got ${describe(perm)}`);
    }
    if (isTracer(perm)) return;
    values = perm.dataSync();
  } else if (globalThis.Array.isArray(perm)) {
    if (perm.length !== batch) throw new TypeError(`${what}: perm has length ${perm.length}, y has a batch of ${batch}`);
    values = perm;
  } else {
    throw new TypeError(`${what}: perm must be an int32 Array or a JS array of indices, got ${describe(perm)}`);
  }
  const seen = new Uint8Array(batch);
  for (let i = 0; i < batch; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= batch || seen[v]) {
      throw new RangeError(`${what}: perm is not a permutation of 0..${batch - 1}: entry ${i} is ${v}${Number.isInteger(v) && v >= 0 && v < batch ? " (repeated)" : ""}`);
    }
    seen[v] = 1;
  }
}

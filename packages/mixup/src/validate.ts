import { Array, canReadSync, np } from "@mmx/core";

/**
 * Checks of mixup's inputs. Shapes are checked always; values only when they can be read here and now: not while
 * tracing (under jit or grad the values are not known, and the host-side policies draw valid ones), and not for
 * arrays on a backend without synchronous reads (webgpu in Node; reading would need `await`, and mixup is
 * synchronous), where λ and perm arrays go unchecked. λ as a number and perm as a list are always checked.
 */
export type Lambda = number | Array;

export function checkLambda(what: string, lambda: Lambda, batch: number): void {
  if (typeof lambda === "number") {
    if (!(lambda >= 0 && lambda <= 1)) throw new RangeError(`${what}: λ must lie in [0, 1], got ${lambda}`);
    return;
  }
  if (!(lambda instanceof Array)) throw new TypeError(`${what}: λ must be a number or an array, got ${typeof lambda}`);
  if (lambda.dtype !== "float32") throw new TypeError(`${what}: λ must be float32, got ${lambda.aval}`);
  if (!(lambda.ndim === 0 || (lambda.ndim === 1 && lambda.shape[0] === batch))) {
    throw new TypeError(`${what}: λ must be a scalar or one value per example (f32[${batch}]), got ${lambda.aval}`);
  }
  if (canReadSync(lambda)) {
    const bad = [...lambda.dataSync()].findIndex((v) => !(v >= 0 && v <= 1));
    if (bad >= 0) throw new RangeError(`${what}: λ must lie in [0, 1], got ${lambda.dataSync()[bad]} at index ${bad}`);
  }
}

/** Accepts an int32 array or a list of numbers; returns the array form. */
export function checkPerm(what: string, perm: Array | readonly number[], batch: number): Array {
  if (!(perm instanceof Array) && !globalThis.Array.isArray(perm)) throw new TypeError(`${what}: perm must be an int32 array or a list of numbers (a permutation of 0..${batch - 1}), got ${perm === null ? "null" : typeof perm}`);
  const isList = !(perm instanceof Array);
  if (isList) checkPermValues(what, perm, batch);
  const arr = perm instanceof Array ? perm : np.array([...perm], { shape: [perm.length], dtype: "int32" });
  if (arr.dtype !== "int32" || arr.ndim !== 1) throw new TypeError(`${what}: perm must be an int32 vector, got ${arr.aval}`);
  if (arr.shape[0] !== batch) throw new RangeError(`${what}: perm has length ${arr.shape[0]} but the batch has ${batch} examples`);
  if (!isList && canReadSync(arr)) checkPermValues(what, arr.dataSync(), batch);
  return arr;
}

function checkPermValues(what: string, values: ArrayLike<number>, batch: number): void {
  if (values.length !== batch) return; // the length error above names it
  const seen = new Uint8Array(batch);
  for (const v of globalThis.Array.from(values)) {
    if (!(Number.isInteger(v) && v >= 0 && v < batch) || seen[v]) {
      throw new RangeError(`${what}: perm is not a permutation of 0..${batch - 1} (${v} is ${Number.isInteger(v) && v >= 0 && v < batch ? "repeated" : "out of range"})`);
    }
    seen[v] = 1;
  }
}

export function checkTargets(what: string, y: Array, batch: number): void {
  if (!(y instanceof Array)) throw new TypeError(`${what}: y must be an array, got ${typeof y}`);
  if (y.ndim === 0 || y.shape[0] !== batch) throw new RangeError(`${what}: y has batch ${y.shape[0] ?? "none"} (${y.aval}) but x has ${batch} examples`);
}

/**
 * The targets against the model's output, once its class count C is known: int32 labels [B] or float32
 * rows [B, C]. Other shapes would mix into targets that do not match the output ([B, C'] or [B, C, C]).
 */
export function checkTargetShape(what: string, y: Array, batch: number, classes: number): void {
  if (y.ndim === 1 && y.dtype === "int32") return;
  if (y.dtype === "float32" && y.ndim === 2 && y.shape[0] === batch && y.shape[1] === classes) return;
  if (y.ndim === 1) return; // float labels: checkLabels names the first value that is not a class index
  throw new TypeError(`${what}: y must be int32 labels [${batch}] or float32 target rows [${batch},${classes}] for the model's ${classes} classes, got ${y.aval}`);
}

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

/** A permutation as mixup takes it: an int32 array, a list of numbers, or for dirichlet mixing a list of lists. */
export type PermInput = Array | readonly number[] | readonly (readonly number[])[];

/** m permutations of the batch for n-way mixing: int32 [m, B], or a list of m lists; each row checked as a perm. */
export function checkPerms(what: string, perm: PermInput, batch: number, ways: number): Array {
  if (perm instanceof Array) {
    if (perm.dtype !== "int32" || perm.ndim !== 2) throw new TypeError(`${what}: dirichlet mixing takes m permutations, int32 [${ways}, ${batch}], got ${perm.aval}`);
    if (perm.shape[0] !== ways || perm.shape[1] !== batch) throw new RangeError(`${what}: perm is ${perm.aval} but the weights mix ${ways} ways of a batch of ${batch} (int32 [${ways}, ${batch}])`);
    if (canReadSync(perm)) {
      const values = perm.dataSync();
      for (let j = 0; j < ways; j++) checkPermValues(`${what} (perm row ${j})`, values.subarray(j * batch, (j + 1) * batch), batch);
    }
    return perm;
  }
  if (!globalThis.Array.isArray(perm) || perm.length !== ways || !perm.every((row) => globalThis.Array.isArray(row))) {
    throw new TypeError(`${what}: dirichlet mixing takes ${ways} permutations (int32 [${ways}, ${batch}] or a list of ${ways} lists), got ${globalThis.Array.isArray(perm) ? `a list of ${perm.length}` : typeof perm}`);
  }
  const rows = perm as readonly (readonly number[])[];
  rows.forEach((row, j) => {
    if (row.length !== batch) throw new RangeError(`${what}: perm row ${j} has length ${row.length} but the batch has ${batch} examples`);
    checkPermValues(`${what} (perm row ${j})`, row, batch);
  });
  return np.array(rows.flat(), { shape: [ways, batch], dtype: "int32" });
}

/** That `a` broadcasts to h's shape: the same rank, each axis h's size or 1. */
export function checkBroadcastsTo(what: string, name: string, a: Array, h: Array): void {
  if (!(a instanceof Array) || a.dtype !== "float32") throw new TypeError(`${what}: ${name} must be a float32 array, got ${a instanceof Array ? a.aval : typeof a}`);
  if (a.ndim !== h.ndim || a.shape.some((d, i) => d !== 1 && d !== h.shape[i])) {
    throw new TypeError(`${what}: ${name} ${a.aval} does not fit the hidden state ${h.aval} (it needs rank ${h.ndim}, each axis the state's size or 1)`);
  }
}

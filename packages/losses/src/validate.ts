import { Array, canReadSync, isHostResident, np } from "@mmx/core";

/** The logits a classification loss takes: float32 [B, C] with at least one class. */
export function assertLogits(logits: unknown, what: string): asserts logits is Array {
  if (!(logits instanceof Array)) throw new TypeError(`${what}: logits must be an Array, got ${describe(logits)}`);
  if (logits.dtype !== "float32" || logits.ndim !== 2 || logits.shape[1]! < 1) {
    throw new TypeError(`${what}: logits must be float32 [B, C] with C >= 1, got ${describe(logits)}`);
  }
  checkBatch(logits, what);
}

/** A loss of an empty batch is a mistake (its mean is undefined): refused with the shape, under every reduction. */
export function checkBatch(outputs: Array, what: string): void {
  if (outputs.ndim >= 1 && outputs.shape[0] === 0) throw new RangeError(`${what}: the batch is empty (${describe(outputs)}); a loss needs at least one example`);
}

/**
 * The one rule for class labels, shared by every loss and by mixup and trainStep: an int32 vector whose
 * values lie in [0, classes). A float vector is refused, naming its first value that is not a whole
 * number (or saying that it must be int32). Values are checked when they can be read here and now: not
 * inside a traced function (they are not known yet), nor on a backend without synchronous reads.
 */
export function checkLabels(labels: Array, classes: number, what: string): void {
  if (!(labels instanceof Array)) throw new TypeError(`${what}: labels must be an int32 Array of class indices, got ${describe(labels)}`);
  if (labels.ndim !== 1) throw new TypeError(`${what}: labels must be a vector [B] of class indices, got ${describe(labels)}`);
  const readable = canReadSync(labels);
  if (labels.dtype !== "int32") {
    const values = readable ? labels.dataSync() : undefined;
    const odd = values ? values.findIndex((v) => !Number.isInteger(v)) : -1;
    const detail = values && odd >= 0 ? `: label ${values[odd]} at index ${odd} is not a class index` : "";
    throw new TypeError(`${what}: labels must be int32 class indices, got ${describe(labels)}${detail}`);
  }
  // The range is checked where the labels live in host memory (cpu, wasm, onnx's eager arrays): on a GPU a synchronous
  // read on every step would stall it, so there only the dtype and shape are checked.
  if (!readable || !isHostResident(labels)) return;
  const values = labels.dataSync();
  const bad = values.findIndex((v) => v < 0 || v >= classes);
  if (bad >= 0) throw new RangeError(`${what}: label ${values[bad]} at index ${bad} is outside [0, ${classes}) for ${classes} classes`);
}

/** Class labels for logits [B, C]: int32 [B] with values in [0, C) (see {@link checkLabels}). */
export function assertLabels(labels: Array, logits: Array, what: string): void {
  const [b, c] = logits.shape as [number, number];
  if (labels.ndim !== 1 || labels.shape[0] !== b) {
    throw new TypeError(`${what}: int32 labels must have shape [${b}] to match logits [${b},${c}], got ${describe(labels)}`);
  }
  checkLabels(labels, c, what);
}

/**
 * Targets for logits [B, C]: float32 distributions [B, C], or int32 labels [B] (then their one-hot
 * rows). Returns float32 [B, C].
 */
export function softTargets(targets: unknown, logits: Array, what: string): Array {
  if (!(targets instanceof Array)) throw new TypeError(`${what}: targets must be an Array, got ${describe(targets)}`);
  if (targets.dtype === "int32") {
    assertLabels(targets, logits, what);
    return np.oneHot(targets, logits.shape[1]!);
  }
  if (targets.dtype !== "float32" || !sameShape(targets.shape, logits.shape)) {
    throw new TypeError(
      `${what}: targets must be float32 [${logits.shape.join(",")}] like the logits, or int32 labels [${logits.shape[0]}]; ` +
        `got ${describe(targets)}`,
    );
  }
  return targets;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function describe(x: unknown): string {
  if (x instanceof Array) return `${x.dtype} [${x.shape.join(",")}]`;
  if (globalThis.Array.isArray(x)) return `a JS array of length ${x.length}`;
  return x === null ? "null" : typeof x;
}

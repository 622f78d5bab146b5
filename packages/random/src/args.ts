/** Argument checks shared by the samplers: each error names the function, the argument and the value. */
import { describeValue } from "./key.js";

/** A result shape: a list of non-negative integer sizes, or one size for a 1-D result. */
export type ShapeLike = number | readonly number[];

/**
 * Checks a shape argument and returns it as a plain list with its element count. Every entry must be a
 * non-negative integer; the error names the function, the argument and the offending entry.
 */
export function checkShape(shape: ShapeLike, fn: string, arg = "shape"): { shape: number[]; size: number } {
  const list = typeof shape === "number" ? [shape] : shape;
  if (!globalThis.Array.isArray(list)) {
    throw new TypeError(`${fn}: ${arg} must be an array of non-negative integers (or one integer), got ${describeValue(shape)}`);
  }
  let size = 1;
  for (let i = 0; i < list.length; i++) {
    const d = list[i];
    if (typeof d !== "number" || !Number.isInteger(d) || d < 0) {
      throw new RangeError(
        `${fn}: ${arg} entries must be non-negative integers, got ${arg}[${i}] = ${describeValue(d)} in [${list.map(String).join(",")}]`,
      );
    }
    size *= d;
  }
  if (size > 0x7fffffff) throw new RangeError(`${fn}: ${arg} [${list.join(",")}] has ${size} elements, more than 2^31 - 1`);
  return { shape: [...list], size };
}

/** Checks that `x` is a finite number (or, with `allowInfinite`, any non-NaN number). */
export function checkNumber(x: unknown, fn: string, arg: string, allowInfinite = false): number {
  if (typeof x !== "number" || Number.isNaN(x) || (!allowInfinite && !Number.isFinite(x))) {
    throw new TypeError(`${fn}: ${arg} must be a ${allowInfinite ? "" : "finite "}number, got ${describeValue(x)}`);
  }
  return x;
}

/** Checks a shape parameter of gamma or beta: a finite number > 0. */
export function checkPositive(a: unknown, fn: string, arg: string): number {
  if (typeof a !== "number" || !Number.isFinite(a) || !(a > 0)) {
    throw new RangeError(`${fn}: ${arg} must be a finite number > 0, got ${describeValue(a)}`);
  }
  return a;
}

/** Checks that p is a probability in [0, 1] and returns it rounded to float32. */
export function checkProbability(p: unknown, fn: string, arg = "p"): number {
  if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
    throw new RangeError(`${fn}: ${arg} must be a probability in [0, 1], got ${describeValue(p)}`);
  }
  return Math.fround(p);
}

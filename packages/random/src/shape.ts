import { describe } from "./key.js";

/** A result shape: a list of non-negative integer sizes, or one size for a 1-D result. */
export type ShapeLike = number | readonly number[];

/**
 * Checks a shape argument and returns it as a plain list with its element count. Every entry must be a
 * non-negative integer; the error names the function, the argument and the offending entry.
 */
export function checkShape(shape: ShapeLike, fn: string, arg = "shape"): { shape: number[]; size: number } {
  const list = typeof shape === "number" ? [shape] : shape;
  if (!globalThis.Array.isArray(list)) {
    throw new TypeError(`${fn}: ${arg} must be an array of non-negative integers (or one integer), got ${describe(shape)}`);
  }
  let size = 1;
  for (let i = 0; i < list.length; i++) {
    const d = list[i];
    if (typeof d !== "number" || !Number.isInteger(d) || d < 0) {
      throw new RangeError(
        `${fn}: ${arg} entries must be non-negative integers, got ${arg}[${i}] = ${describe(d)} in [${list.map(String).join(",")}]`,
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
    throw new TypeError(`${fn}: ${arg} must be a ${allowInfinite ? "" : "finite "}number, got ${describe(x)}`);
  }
  return x;
}

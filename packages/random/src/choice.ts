import { Array, np } from "@mmx/core";
import { TINY32 } from "./float32.js";
import { assertKey, describeValue, type Key } from "./key.js";
import { permutationIndices } from "./permutation.js";
import { randintValues } from "./randint.js";
import { checkShape, type ShapeLike } from "./args.js";
import { toArray } from "./to-array.js";
import { uniformValues } from "./uniform.js";

/** How {@link choice} draws. */
export interface ChoiceOptions {
  /** Output shape (default [], one draw). */
  shape?: ShapeLike;
  /**
   * Probabilities of the n entries: n numbers in [0, 1] that sum to 1 (within 1e-4). Default: uniform.
   */
  p?: ArrayLike<number>;
  /** Draw with replacement (default true). Without, at most n draws, and at most as many as non-zero p. */
  replace?: boolean;
}

/**
 * Indices drawn from 0..n-1 as an Int32Array (row-major for `opts.shape`): the host-side twin of
 * {@link choice}.
 *
 * Methods, as `jax.random.choice`: uniform with replacement is {@link randint}; uniform without
 * replacement is the first entries of a {@link permutation}; weighted with replacement inverts the CDF
 * (the first index whose cumulative p reaches total * (1 - u)); weighted without replacement takes the
 * k smallest -Gumbel - log p (the Gumbel top-k trick). Cumulative sums and logs are in double precision.
 *
 * @param n the number of entries to choose from, an integer >= 1.
 */
export function choiceIndices(k: Key, n: number, opts: ChoiceOptions = {}): Int32Array {
  assertKey(k, "choiceIndices");
  return drawChoice(k, n, opts, "choiceIndices").indices;
}

/**
 * Random draws from `a`, like `jax.random.choice(key, a, shape, replace, p)`:
 * - `a` a number n: int32 indices in [0, n) of shape `opts.shape`;
 * - `a` an mmx `Array`: its rows (axis 0) at the drawn indices, shape `opts.shape` + a.shape[1:];
 * - `a` a typed array or number[]: its entries at the drawn indices (int32 for an Int32Array, bool for a
 *   Uint8Array, float32 otherwise), shape `opts.shape`.
 *
 * ```ts
 * choice(k, 10, { shape: [5], replace: false });          // 5 distinct indices
 * choice(k, [0.1, 0.2, 0.3], { shape: [4], p: [0.5, 0.25, 0.25] });
 * ```
 */
export function choice(k: Key, a: number | Array | ArrayLike<number>, opts: ChoiceOptions = {}): Array {
  assertKey(k, "choice");
  if (typeof a === "number") {
    const { indices, shape } = drawChoice(k, a, opts, "choice");
    return toArray(indices, shape, "int32");
  }
  if (a instanceof Array) {
    if (a.ndim === 0) throw new TypeError(`choice: an array to choose from needs at least one axis, got ${a.aval}`);
    const { indices, shape } = drawChoice(k, a.shape[0]!, opts, "choice", "the array's first axis");
    return np.take(a, toArray(indices, shape, "int32"), 0);
  }
  if (a === null || typeof a !== "object" || typeof (a as ArrayLike<number>).length !== "number") {
    throw new TypeError(`choice: a must be a count, an mmx Array or an array of numbers, got ${describeValue(a)}`);
  }
  const { indices, shape } = drawChoice(k, a.length, opts, "choice", "the number of values");
  if (a instanceof Int32Array) return toArray(Int32Array.from(indices, (i) => a[i]!), shape, "int32");
  if (a instanceof Uint8Array) return toArray(Uint8Array.from(indices, (i) => a[i]!), shape, "bool");
  return toArray(Float32Array.from(indices, (i) => a[i]!), shape, "float32");
}

function drawChoice(k: Key, n: number, opts: ChoiceOptions, fn: string, what = "n"): { indices: Int32Array; shape: number[] } {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1) throw new RangeError(`${fn}: ${what} must be an integer >= 1, got ${describeValue(n)}`);
  if (opts === null || typeof opts !== "object") throw new TypeError(`${fn}: options must be an object like { shape, p, replace }, got ${describeValue(opts)}`);
  const { shape, size } = checkShape(opts.shape ?? [], fn);
  const replace = opts.replace ?? true;
  if (typeof replace !== "boolean") throw new TypeError(`${fn}: replace must be a boolean, got ${describeValue(replace)}`);
  const p = opts.p === undefined ? undefined : checkProbabilities(opts.p, n, fn);
  if (!replace && size > n) throw new RangeError(`${fn}: cannot draw ${size} values without replacement from ${n}`);
  if (size === 0) return { indices: new Int32Array(0), shape };
  if (p === undefined) {
    if (replace) return { indices: randintValues(k, [size], 0, n), shape };
    return { indices: permutationIndices(k, n).slice(0, size), shape };
  }
  if (replace) return { indices: inverseCdf(k, p, size), shape };
  const nonzero = p.reduce((c, x) => c + (x > 0 ? 1 : 0), 0);
  if (size > nonzero) throw new RangeError(`${fn}: cannot draw ${size} values without replacement when only ${nonzero} of p are non-zero`);
  return { indices: gumbelTopK(k, p, size), shape };
}

/** Checks p against n entries: finite, in [0, 1], summing to 1 within 1e-4. */
function checkProbabilities(p: unknown, n: number, fn: string): number[] {
  if (p === null || typeof p !== "object" || typeof (p as ArrayLike<number>).length !== "number") {
    throw new TypeError(`${fn}: p must be an array of probabilities, got ${describeValue(p)}`);
  }
  const list = globalThis.Array.from(p as ArrayLike<number>);
  if (list.length !== n) throw new RangeError(`${fn}: p has ${list.length} entries but there are ${n} values to choose from`);
  let sum = 0;
  list.forEach((x, i) => {
    if (typeof x !== "number" || !(x >= 0 && x <= 1)) throw new RangeError(`${fn}: p[${i}] must be a probability in [0, 1], got ${describeValue(x)}`);
    sum += x;
  });
  if (Math.abs(sum - 1) > 1e-4) throw new RangeError(`${fn}: p must sum to 1, but its ${n} entries sum to ${sum}`);
  return list;
}

/** Weighted draws with replacement: the first index whose cumulative p reaches total * (1 - u). */
function inverseCdf(k: Key, p: number[], size: number): Int32Array {
  const cum = new Float64Array(p.length);
  let acc = 0;
  p.forEach((x, i) => (cum[i] = acc += x));
  const total = cum[cum.length - 1]!;
  const u = uniformValues(k, [size]);
  const out = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    const r = total * (1 - u[i]!); // in (0, total]: a zero-probability entry can never be reached
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cum[mid]! >= r) hi = mid;
      else lo = mid + 1;
    }
    out[i] = lo;
  }
  return out;
}

/** Weighted draws without replacement: the `size` smallest values of -Gumbel_i - log p_i. */
function gumbelTopK(k: Key, p: number[], size: number): Int32Array {
  const u = uniformValues(k, [p.length], { min: TINY32, max: 1 });
  const score = p.map((x, i) => Math.log(-Math.log(u[i]!)) - Math.log(x)); // -gumbel = log(-log u)
  const order = globalThis.Array.from({ length: p.length }, (_, i) => i).sort((a, b) => score[a]! - score[b]! || a - b);
  return Int32Array.from(order.slice(0, size));
}

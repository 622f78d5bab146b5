import { Array, np } from "@mmx/core";
import { assertKey, describeValue, randomBits, split, type Key } from "./key.js";
import { toArray } from "./to-array.js";

/**
 * A uniformly random permutation of 0..n-1 as an Int32Array: the host-side twin of
 * {@link permutation} (batch orders, mixup's pairing `perm`).
 *
 * Method (as `jax.random.permutation`): sort by fresh random 32-bit keys, stably, for
 * ceil(3 ln n / ln(2^32 - 1)) rounds, each round with a new subkey (`key, subkey = split(key)`), which
 * gives JAX's result for the same key. JAX stops there, so equal sort keys (probability about n^2 / 2^33
 * per round) leave a tiny bias toward the previous order; we add rounds until no two elements share all
 * their sort keys, which makes the permutation exactly uniform and changes nothing when there is no tie.
 *
 * @param n the number of elements, an integer >= 1.
 */
export function permutationIndices(k: Key, n: number): Int32Array {
  assertKey(k, "permutationIndices");
  checkCount(n, "permutationIndices");
  return shuffleIndices(k, n);
}

/**
 * A uniformly random permutation as an int32 mmx `Array`: `permutation(key, n)` permutes 0..n-1 (shape
 * [n]); `permutation(key, x)` permutes the rows of the array x (along axis 0, like
 * `jax.random.permutation(key, x)`), returning a new array.
 */
export function permutation(k: Key, n: number | Array): Array {
  assertKey(k, "permutation");
  if (n instanceof Array) {
    if (n.ndim === 0) throw new TypeError(`permutation: an array to permute needs at least one axis, got ${n.aval}`);
    checkCount(n.shape[0]!, "permutation", "the array's first axis");
    const idx = shuffleIndices(k, n.shape[0]!);
    return np.take(n, toArray(idx, [idx.length], "int32"), 0);
  }
  checkCount(n, "permutation");
  return toArray(shuffleIndices(k, n), [n], "int32");
}

function checkCount(n: unknown, fn: string, arg = "n"): asserts n is number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > 0x7fffffff) {
    throw new RangeError(`${fn}: ${arg} must be an integer >= 1, got ${describeValue(n)}`);
  }
}

/** JAX's number of sort rounds: enough that all keys differ with high probability. */
function jaxRounds(n: number): number {
  return Math.ceil((3 * Math.log(Math.max(1, n))) / Math.log(4294967295));
}

function shuffleIndices(k: Key, n: number): Int32Array {
  let key = k;
  return sortRounds(n, jaxRounds(n), () => {
    const [next, subkey] = split(key);
    key = next!;
    return randomBits(subkey!, n);
  });
}

/**
 * The shuffle itself: stable sorts of 0..n-1 by the words `nextSortKeys()` returns (one array of n per
 * round), at least `minRounds` rounds and then until no two elements share all their sort keys.
 * Exported for tests, which feed it tie-heavy keys.
 */
export function sortRounds(n: number, minRounds: number, nextSortKeys: () => Uint32Array): Int32Array {
  let x = new Int32Array(n);
  for (let i = 0; i < n; i++) x[i] = i;
  // group[j]: elements at positions with equal group ids have had equal sort keys in every round so far.
  let group = new Int32Array(n);
  let tied = n > 1;
  const order = new Int32Array(n);
  for (let r = 0; r < minRounds || tied; r++) {
    const sortKeys = nextSortKeys();
    for (let j = 0; j < n; j++) order[j] = j;
    // A stable sort of positions by their sort key (ties keep the current order, as lax.sort does).
    const sorted = globalThis.Array.from(order).sort((a, b) => sortKeys[a]! - sortKeys[b]! || a - b);
    const nx = new Int32Array(n);
    const ng = new Int32Array(n);
    tied = false;
    let id = 0;
    for (let j = 0; j < n; j++) {
      const p = sorted[j]!;
      nx[j] = x[p]!;
      if (j > 0) {
        const q = sorted[j - 1]!;
        if (sortKeys[p] !== sortKeys[q] || group[p] !== group[q]) id++;
        else tied = true;
      }
      ng[j] = id;
    }
    x = nx;
    group = ng;
  }
  return x;
}

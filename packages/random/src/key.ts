import { threefry2x32, threefryInto } from "./threefry.js";

const TWO_32 = 4294967296;

/**
 * A PRNG key: two uint32 words, as a JAX threefry2x32 key. Immutable; a pytree leaf for @mmx/core
 * (a class instance, not an mmx `Array`), so it can sit in a params or options tree untouched.
 *
 * Keys are values: the same key always gives the same draws. To get fresh randomness derive new keys
 * with {@link split} or {@link foldIn}; never reuse a key for two purposes.
 */
export class Key {
  /** The high word (JAX's `key_data(k)[0]`). */
  readonly hi: number;
  /** The low word (JAX's `key_data(k)[1]`). */
  readonly lo: number;

  /** Builds a key from its two raw words (each an integer in [0, 2^32)). Use {@link key} to seed one. */
  constructor(hi: number, lo: number) {
    checkWord(hi, "hi");
    checkWord(lo, "lo");
    this.hi = hi;
    this.lo = lo;
    Object.freeze(this);
  }

  /** The two words, as JAX prints `jax.random.key_data(k)`. */
  data(): [number, number] {
    return [this.hi, this.lo];
  }

  /** Two keys are equal when their words are. */
  equals(other: Key): boolean {
    return other instanceof Key && other.hi === this.hi && other.lo === this.lo;
  }

  toString(): string {
    return `Key(${this.hi}, ${this.lo})`;
  }
}

function checkWord(w: number, name: string): void {
  if (!Number.isInteger(w) || w < 0 || w >= TWO_32) {
    throw new RangeError(`Key: word ${name} must be an integer in [0, 2^32), got ${String(w)}`);
  }
}

/** Describes a value for an error message without dumping a whole array. */
export function describeValue(x: unknown): string {
  if (x === null) return "null";
  if (typeof x === "number" || typeof x === "bigint" || typeof x === "boolean") return `${typeof x} ${String(x)}`;
  if (typeof x === "string") return `string ${JSON.stringify(x)}`;
  if (typeof x === "object") {
    const name = (x as object).constructor?.name ?? "Object";
    const shape = (x as { shape?: unknown }).shape;
    return globalThis.Array.isArray(shape) ? `${name} of shape [${shape.join(",")}]` : name;
  }
  return typeof x;
}

/** Throws a TypeError naming the function and what it got when `k` is not a {@link Key}. */
export function assertKey(k: unknown, fn: string): asserts k is Key {
  if (!(k instanceof Key)) {
    throw new TypeError(`${fn}: expected a Key (from key(seed), split or foldIn) as the first argument, got ${describeValue(k)}`);
  }
}

/**
 * Seeds a key, like JAX's `jax.random.PRNGKey(seed)` / `key(seed)`.
 *
 * The seed is read as a 64-bit two's-complement integer and bit-cast to the words [hi, lo], as JAX does
 * for 64-bit seeds. So a seed s in [0, 2^32) gives [0, s] (JAX's `PRNGKey(0)` is [0, 0]); a larger seed
 * keeps its high bits instead of colliding with a small one (2^32 + 5 gives [1, 5]); a negative seed
 * gives its two's complement (-1 gives [0xffffffff, 0xffffffff]). Note JAX in its default 32-bit mode
 * keeps only the low 32 bits, so seeds outside [0, 2^32) agree with JAX only under `jax_enable_x64`.
 *
 * @param seed an integer: a safe JS integer (|seed| <= 2^53 - 1) or a bigint in [-2^63, 2^64).
 */
export function key(seed: number | bigint): Key {
  if (typeof seed === "bigint") {
    if (seed < -(1n << 63n) || seed >= 1n << 64n) {
      throw new RangeError(`key: seed must fit in 64 bits ([-2^63, 2^64)), got ${seed}n`);
    }
    const u = BigInt.asUintN(64, seed);
    return new Key(Number(u >> 32n), Number(u & 0xffffffffn));
  }
  if (typeof seed !== "number" || !Number.isSafeInteger(seed)) {
    throw new TypeError(`key: seed must be a safe integer or a bigint, got ${describeValue(seed)}`);
  }
  if (seed >= 0) return new Key(Math.floor(seed / TWO_32), seed % TWO_32);
  // Two's complement of a negative seed: 2^64 + seed, split into words without losing precision.
  const hi = Math.floor(seed / TWO_32); // in [-2^21, -1]
  const lo = seed - hi * TWO_32; // in [0, 2^32)
  return new Key((hi + TWO_32) >>> 0, lo);
}

/**
 * Splits a key into `n` new independent keys, like `jax.random.split(key, n)`.
 *
 * Key i is the threefry hash of the 64-bit counter i under `k` (JAX's partitionable layout, the default
 * since JAX 0.5.0: `jax_threefry_partitionable=True`).
 */
export function split(k: Key, n = 2): Key[] {
  assertKey(k, "split");
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`split: n must be an integer >= 1, got ${String(n)}`);
  const out: Key[] = new globalThis.Array(n);
  const words = new Uint32Array(2);
  for (let i = 0; i < n; i++) {
    threefryInto(k.hi, k.lo, Math.floor(i / TWO_32), i % TWO_32, words, 0);
    out[i] = new Key(words[0]!, words[1]!);
  }
  return out;
}

/**
 * Folds a 32-bit integer into a key, like `jax.random.fold_in(key, data)`: a new key that is a
 * deterministic function of both, statistically independent of `k` and of other `data` values. Handy
 * for per-step or per-layer keys (`foldIn(k, step)`).
 *
 * @param data an integer in [-2^31, 2^32); negatives wrap to uint32 as `jnp.uint32(data)` does.
 */
export function foldIn(k: Key, data: number): Key {
  assertKey(k, "foldIn");
  if (!Number.isInteger(data) || data < -2147483648 || data >= TWO_32) {
    throw new RangeError(`foldIn: data must be an integer in [-2^31, 2^32), got ${describeValue(data)}`);
  }
  // JAX hashes the seed words [0, data] as one counter block (threefry_2x32(key, threefry_seed(data))).
  const [hi, lo] = threefry2x32(k.hi, k.lo, 0, data >>> 0);
  return new Key(hi, lo);
}

/**
 * `n` uniformly random 32-bit words from `k`, like `jax.random.bits(key, (n,), 'uint32')`: word i is the
 * xor of the two halves of the threefry hash of counter i (JAX's partitionable `random_bits`).
 * Every sampler in this package draws from here.
 */
export function randomBits(k: Key, n: number): Uint32Array {
  assertKey(k, "randomBits");
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`randomBits: n must be an integer >= 0, got ${String(n)}`);
  const out = new Uint32Array(n);
  const words = new Uint32Array(2);
  const { hi, lo } = k;
  for (let i = 0; i < n; i++) {
    threefryInto(hi, lo, 0, i, words, 0);
    out[i] = (words[0]! ^ words[1]!) >>> 0;
  }
  return out;
}

// --- raw-word helpers for samplers that derive many keys (gamma's rejection loop): no Key objects ---

const PAIR = new Uint32Array(2);

/** The words of `split(key(hi, lo), n)[i]` (for any n > i), written into out[at], out[at + 1]. */
export function childWordsInto(hi: number, lo: number, i: number, out: Uint32Array, at = 0): void {
  threefryInto(hi, lo, 0, i, out, at);
}

/** Word i of `randomBits(key(hi, lo), n)` (for any n > i). */
export function bitsAt(hi: number, lo: number, i: number): number {
  threefryInto(hi, lo, 0, i, PAIR, 0);
  return (PAIR[0]! ^ PAIR[1]!) >>> 0;
}

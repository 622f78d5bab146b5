import type { Array } from "@mmx/core";
import { TINY32, unitFloat } from "./float32.js";
import { assertKey, bitsAt, childWordsInto, type Key } from "./key.js";
import { normalFromWord } from "./normal.js";
import { checkPositive, checkShape, type ShapeLike } from "./args.js";
import { toArray } from "./to-array.js";

/**
 * Standard Gamma(a) float32 values (shape a, scale 1) as a Float32Array: the host-side twin of
 * {@link gamma}. Divide by a rate or multiply by a scale yourself.
 *
 * Method: Marsaglia and Tsang's squeeze-and-reject sampler ("A simple method for generating gamma
 * variables", ACM TOMS 2000), with the boost Gamma(a) = Gamma(a + 1) * U^(1/a) for a < 1, structured as
 * `jax.random.gamma` is (one subkey per element, then JAX's split pattern inside the rejection loop).
 * Everything runs in double precision and in log space, so a tiny a gives tiny values rather than
 * NaN; a value that underflows float32 is returned as the smallest normal float32, as JAX does.
 *
 * @param a the shape parameter, a finite number > 0.
 */
export function gammaValues(k: Key, a: number, shape: ShapeLike = []): Float32Array {
  assertKey(k, "gammaValues");
  return drawGamma(k, a, checkShape(shape, "gammaValues").size, "gammaValues");
}

/**
 * Standard Gamma(a) draws (shape a, scale 1) with the given shape, as a float32 mmx `Array`, like
 * `jax.random.gamma(key, a, shape)`. See {@link gammaValues} for the method.
 */
export function gamma(k: Key, a: number, shape: ShapeLike = []): Array {
  assertKey(k, "gamma");
  const s = checkShape(shape, "gamma");
  return toArray(drawGamma(k, a, s.size, "gamma"), s.shape, "float32");
}

function drawGamma(k: Key, a: number, size: number, fn: string): Float32Array {
  const logs = logGammaDraws(k, checkPositive(a, fn, "a"), size);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const v = Math.fround(Math.exp(logs[i]!));
    out[i] = v === 0 ? TINY32 : v;
  }
  return out;
}

/**
 * log of `size` Gamma(a) draws in double precision, element i from `split(k, size)[i]`. Log space keeps
 * tiny values (small a) exact enough for beta's ratio; never NaN, at worst -Number.MAX_VALUE.
 */
export function logGammaDraws(k: Key, a: number, size: number): Float64Array {
  const out = new Float64Array(size);
  const w = new Uint32Array(2);
  for (let i = 0; i < size; i++) {
    childWordsInto(k.hi, k.lo, i, w);
    out[i] = logGammaOne(w[0]!, w[1]!, a);
  }
  return out;
}

const SQUEEZE = 0.0331;
/** Scratch for derived key words (the sampler is synchronous, so one buffer serves every call). */
const WORDS = new Uint32Array(6);

/** One log Gamma(a) draw from the key (hi, lo); the key derivations mirror JAX's `_gamma_one`. */
function logGammaOne(hi: number, lo: number, a: number): number {
  const boost = a < 1;
  const alpha = boost ? a + 1 : a;
  const d = alpha - 1 / 3;
  const c = 1 / 3 / Math.sqrt(d);
  const w = WORDS;
  // key, subkey = split(key); the boost uniform comes from subkey.
  childWordsInto(hi, lo, 0, w, 0);
  childWordsInto(hi, lo, 1, w, 2);
  let kHi = w[0]!;
  let kLo = w[1]!;
  const uBoost = unitFloat(bitsAt(w[2]!, w[3]!, 0));
  let V: number;
  for (;;) {
    // key, x_key, u_key = split(key, 3)
    childWordsInto(kHi, kLo, 0, w, 0);
    childWordsInto(kHi, kLo, 1, w, 2);
    childWordsInto(kHi, kLo, 2, w, 4);
    kHi = w[0]!;
    kLo = w[1]!;
    let xHi = w[2]!;
    let xLo = w[3]!;
    const uHi = w[4]!;
    const uLo = w[5]!;
    let x: number;
    let v: number;
    do {
      // x_key, subkey = split(x_key); x = normal(subkey)
      childWordsInto(xHi, xLo, 0, w, 0);
      childWordsInto(xHi, xLo, 1, w, 2);
      xHi = w[0]!;
      xLo = w[1]!;
      x = normalFromWord(bitsAt(w[2]!, w[3]!, 0));
      v = 1 + x * c;
    } while (v <= 0);
    const X = x * x;
    V = v * v * v;
    const U = unitFloat(bitsAt(uHi, uLo, 0));
    if (U < 1 - SQUEEZE * X * X) break;
    if (Math.log(U) < X / 2 + d * (1 - V + Math.log(V))) break;
  }
  // Gamma(a) = Gamma(a + 1) * U^(1/a) for a < 1, in logs. 1 - u lies in [2^-23, 1], so its log is finite.
  const logBoost = boost ? Math.log1p(-uBoost) / a : 0;
  return Math.max(-Number.MAX_VALUE, Math.log(d) + Math.log(V) + logBoost);
}

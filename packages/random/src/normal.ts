import type { Array } from "@mmx/core";
import { nextDown32, nextUp32, openUnitFloat, unitFloat } from "./float32.js";
import { assertKey, randomBits, type Key } from "./key.js";
import { checkNumber, checkShape, type ShapeLike } from "./args.js";
import { erfinv, normalCdf, normalPpf } from "./special.js";
import { scaleUnit, uniformFromBits } from "./uniform.js";
import { toArray } from "./to-array.js";

const SQRT2_F32 = Math.fround(Math.SQRT2);
/** nextafter(-1, 0) in float32: JAX draws u in [this, 1) so that erfinv(u) stays finite. */
const LOWEST_U = nextUp32(-1);

/**
 * Standard normal float32 values as a Float32Array: the host-side twin of {@link normal}.
 *
 * Method (as `jax.random.normal`): the inverse error function of a uniform draw, x = sqrt(2) *
 * erfinv(u) with u uniform in [nextafter(-1, 0), 1) made exactly as JAX makes it. erfinv is evaluated in
 * double precision (an inverse-CDF approximation refined by a Halley step) and rounded to float32, so
 * values agree with JAX's to about one float32 ulp (JAX evaluates erfinv in float32).
 */
export function normalValues(k: Key, shape: ShapeLike = []): Float32Array {
  assertKey(k, "normalValues");
  const { size } = checkShape(shape, "normalValues");
  return normalFromBits(randomBits(k, size));
}

/**
 * Standard normal float32 draws with the given shape, as an mmx `Array`, like
 * `jax.random.normal(key, shape)`. Scale and shift it yourself: `np.add(np.mul(normal(k, s), std), mean)`.
 */
export function normal(k: Key, shape: ShapeLike = []): Array {
  assertKey(k, "normal");
  const s = checkShape(shape, "normal");
  return toArray(normalFromBits(randomBits(k, s.size)), s.shape, "float32");
}

/** sqrt(2) * erfinv(u) for JAX's float32 uniform u in [nextafter(-1, 0), 1), per word. */
export function normalFromBits(bits: Uint32Array): Float32Array {
  const u = uniformFromBits(bits, LOWEST_U, 1);
  const out = new Float32Array(bits.length);
  for (let i = 0; i < u.length; i++) out[i] = Math.fround(SQRT2_F32 * Math.fround(erfinv(u[i]!)));
  return out;
}

const U_SPAN = Math.fround(1 - LOWEST_U);
const U_BELOW = nextDown32(1);

/** One standard normal value in double precision from one word (used inside the gamma sampler). */
export function normalFromWord(word: number): number {
  const u = scaleUnit(unitFloat(word), LOWEST_U, 1, U_SPAN, U_BELOW);
  return Math.SQRT2 * erfinv(u);
}

/**
 * Standard normal values truncated to the open interval (lower, upper), as a Float32Array: the host-side
 * twin of {@link truncatedNormal}.
 *
 * Method: inverse CDF. p is uniform on (Phi(lower), Phi(upper)) and x = Phi^-1(p), all in double
 * precision; an interval on the positive side is sampled as the mirror of its negative twin so that
 * Phi stays a small, precise number even far in the tail (e.g. (8, 9)). The result is rounded to
 * float32 and clamped into the open interval, as JAX does. (JAX computes the same inverse CDF with erf
 * in float32, so values are close to but not bitwise equal to JAX's.)
 *
 * @param lower lower bound (may be -Infinity); must be below `upper`.
 * @param upper upper bound (may be +Infinity).
 */
export function truncatedNormalValues(k: Key, shape: ShapeLike, lower: number, upper: number): Float32Array {
  assertKey(k, "truncatedNormalValues");
  return drawTruncatedNormal(k, checkShape(shape, "truncatedNormalValues").size, lower, upper, "truncatedNormalValues");
}

function drawTruncatedNormal(k: Key, size: number, lower: number, upper: number, fn: string): Float32Array {
  checkTruncation(lower, upper, fn);
  const bits = randomBits(k, size);
  // Mirror an interval centred above 0 so that we work where Phi is small.
  const flip = lower > -upper;
  const pa = normalCdf(flip ? -upper : lower);
  const pb = normalCdf(flip ? -lower : upper);
  const lo32 = float32Above(lower);
  const hi32 = float32Below(upper);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const p = pa + openUnitFloat(bits[i]!) * (pb - pa);
    const x = normalPpf(p);
    let v = Math.fround(flip ? -x : x);
    if (!(v >= lo32)) v = lo32;
    if (v > hi32) v = hi32;
    out[i] = v;
  }
  return out;
}

/**
 * Standard normal draws truncated to (lower, upper), as a float32 mmx `Array`, like
 * `jax.random.truncated_normal(key, lower, upper, shape)` (note the argument order here: shape first).
 * Common use: `truncatedNormal(k, shape, -2, 2)` for truncated-normal weight initialisation.
 */
export function truncatedNormal(k: Key, shape: ShapeLike, lower: number, upper: number): Array {
  assertKey(k, "truncatedNormal");
  const s = checkShape(shape, "truncatedNormal");
  return toArray(drawTruncatedNormal(k, s.size, lower, upper, "truncatedNormal"), s.shape, "float32");
}

function checkTruncation(lower: number, upper: number, fn: string): void {
  checkNumber(lower, fn, "lower", true);
  checkNumber(upper, fn, "upper", true);
  if (!(lower < upper)) throw new RangeError(`${fn}: lower must be less than upper, got lower = ${lower}, upper = ${upper}`);
  if (lower === Infinity || upper === -Infinity) throw new RangeError(`${fn}: empty interval (${lower}, ${upper})`);
  if (!(float32Above(lower) <= float32Below(upper))) {
    throw new RangeError(`${fn}: the interval (${lower}, ${upper}) holds no float32 value`);
  }
}

/** The least float32 strictly above x (the most negative float32 for -Infinity). */
function float32Above(x: number): number {
  if (x === -Infinity) return -MAX32;
  const f = Math.fround(x);
  return f > x ? f : nextUp32(f);
}

/** The greatest float32 strictly below x (the largest float32 for +Infinity). */
function float32Below(x: number): number {
  if (x === Infinity) return MAX32;
  const f = Math.fround(x);
  return f < x ? f : nextDown32(f);
}

const MAX32 = 3.4028234663852886e38;

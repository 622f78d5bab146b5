/**
 * Special functions in double precision for the samplers: erf, erfc, the standard normal CDF and its
 * inverse. Written out here (not taken from tfjs) because draws are made on the host, and so that the
 * numbers depend only on JS arithmetic and the engine's Math.exp / Math.log.
 */

const TWO_OVER_SQRT_PI = 1.1283791670955126;
const ONE_OVER_SQRT_PI = 0.5641895835477563;
const SQRT1_2 = Math.SQRT1_2;
const SQRT_2PI = 2.5066282746310002;

/** Where erfc switches from 1 - erf (series) to the continued fraction. */
const SERIES_LIMIT = 2.5;

/**
 * erf(x) for |x| < SERIES_LIMIT by the all-positive series
 * erf(x) = 2/sqrt(pi) e^{-x^2} sum_n (2x^2)^n x / (1*3*...*(2n+1)), which has no cancellation.
 */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (Math.abs(term) <= 1e-17 * Math.abs(sum)) break;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
}

/**
 * erfc(x) for x >= SERIES_LIMIT by the continued fraction
 * erfc(x) = e^{-x^2}/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated bottom-up; it keeps
 * full relative precision far into the tail where 1 - erf(x) would be 0.
 */
function erfcFraction(x: number): number {
  let f = x;
  for (let n = 60; n >= 1; n--) f = x + n / 2 / f;
  return (ONE_OVER_SQRT_PI * Math.exp(-x * x)) / f;
}

/** The error function. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < SERIES_LIMIT) return erfSeries(x);
  const r = 1 - erfcFraction(ax);
  return x < 0 ? -r : r;
}

/** The complementary error function 1 - erf(x), accurate in relative terms for large positive x. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x >= SERIES_LIMIT) return erfcFraction(x);
  if (x <= -SERIES_LIMIT) return 2 - erfcFraction(-x);
  return 1 - erfSeries(x);
}

/** The standard normal CDF Phi(x) = erfc(-x / sqrt 2) / 2 (relatively accurate in the lower tail). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x * SQRT1_2);
}

// P. J. Acklam's rational approximation of the inverse normal CDF (relative error < 1.2e-9), refined
// below by one Halley step to double precision.
const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

function acklamLower(p: number): number {
  // p in (0, 1/2]
  if (p < P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((C[0]! * q + C[1]!) * q + C[2]!) * q + C[3]!) * q + C[4]!) * q + C[5]!) / ((((D[0]! * q + D[1]!) * q + D[2]!) * q + D[3]!) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((A[0]! * r + A[1]!) * r + A[2]!) * r + A[3]!) * r + A[4]!) * r + A[5]!) * q) / (((((B[0]! * r + B[1]!) * r + B[2]!) * r + B[3]!) * r + B[4]!) * r + 1);
}

/**
 * The inverse standard normal CDF (probit): the x with Phi(x) = p, for p in [0, 1] (0 and 1 give
 * -inf and +inf). Works on the smaller of p and 1 - p so the tail keeps its relative precision.
 */
export function normalPpf(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const upper = p > 0.5;
  const q = upper ? 1 - p : p; // exact for p in [1/2, 1] (Sterbenz)
  let x = acklamLower(q);
  // One Halley step on Phi(x) - q.
  const e = normalCdf(x) - q;
  const u = e * SQRT_2PI * Math.exp((x * x) / 2);
  x = x - u / (1 + (x * u) / 2);
  return upper ? -x : x;
}

/** The inverse error function, erfinv(y) = probit((y + 1) / 2) / sqrt 2, for y in [-1, 1]. */
export function erfinv(y: number): number {
  return normalPpf((y + 1) / 2) * SQRT1_2;
}

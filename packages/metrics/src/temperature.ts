import type { Array } from "@mmx/core";
import { CalibrationBins, checkBins } from "./calibration.js";
import { hostLabels, hostScores, type HostMatrix, type Labels } from "./host.js";
import { logitRows } from "./rows.js";

/** What `fitTemperature` found. */
export interface TemperatureFit {
  /** T > 0: calibrated probabilities are softmax(logits / T). T > 1 softens an overconfident model. */
  readonly temperature: number;
  /** Mean NLL of the fitting logits as given (T = 1) and divided by T: after <= before, always. */
  readonly nllBefore: number;
  readonly nllAfter: number;
  /** Examples the temperature was fitted on. */
  readonly count: number;
  /** Newton or bisection steps taken. */
  readonly iterations: number;
  /**
   * Set when the NLL still falls at a bound of [minTemperature, maxTemperature], so T is that bound rather
   * than a minimum: "lower" when the logits separate the data perfectly (the NLL keeps falling as T -> 0).
   */
  readonly atBound?: "lower" | "upper";
}

export interface TemperatureOptions {
  /** The range searched for T (defaults 0.01 and 100). */
  minTemperature?: number;
  maxTemperature?: number;
}

/** NLL and ECE of one set of logits, before or after temperature scaling. */
export interface CalibrationScores {
  readonly nll: number;
  readonly ece: number;
}

export interface CalibrationReport {
  readonly temperature: number;
  readonly atBound?: "lower" | "upper";
  /** Examples T was fitted on (held-out data) and examples evaluated. */
  readonly fitCount: number;
  readonly count: number;
  readonly before: CalibrationScores;
  readonly after: CalibrationScores;
}

/** Reads logits and labels, refusing what no temperature can be fitted to: no rows, and non-finite scores. */
function readLogits(logits: Array, labels: Labels, what: string): { m: HostMatrix; y: Int32Array } {
  const m = hostScores(logits, what);
  if (m.rows === 0) throw new RangeError(`${what}: no examples (logits of shape [0,${m.cols}])`);
  const y = hostLabels(labels, m.rows, m.cols, what);
  for (let i = 0; i < m.values.length; i++) {
    const v = Number(m.values[i]);
    if (!Number.isFinite(v)) throw new RangeError(`${what}: logits row ${Math.floor(i / m.cols)} column ${i % m.cols} is ${v}; temperature scaling needs finite logits`);
  }
  return { m, y };
}

/**
 * The mean over rows of f_i(β) = logsumexp(β·z_i) − β·z_{i,y_i} (the NLL at T = 1/β), and its first and
 * second derivatives in β: f' = E_p[z] − z_y and f'' = Var_p[z] >= 0 with p = softmax(β·z). The NLL is
 * convex in β, so its derivative is monotone and a bracketed Newton search cannot be misled.
 */
function objective(m: HostMatrix, y: Int32Array, beta: number): { value: number; slope: number; curvature: number } {
  let value = 0;
  let slope = 0;
  let curvature = 0;
  for (let i = 0; i < m.rows; i++) {
    const base = i * m.cols;
    let top = -Infinity;
    for (let j = 0; j < m.cols; j++) top = Math.max(top, Number(m.values[base + j]));
    let s = 0;
    let s1 = 0;
    let s2 = 0;
    for (let j = 0; j < m.cols; j++) {
      const z = Number(m.values[base + j]);
      const e = Math.exp(beta * (z - top));
      s += e;
      s1 += e * z;
      s2 += e * z * z;
    }
    const mean = s1 / s;
    const zy = Number(m.values[base + y[i]!]);
    value += beta * (top - zy) + Math.log(s);
    slope += mean - zy;
    curvature += Math.max(0, s2 / s - mean * mean);
  }
  return { value: value / m.rows, slope: slope / m.rows, curvature: curvature / m.rows };
}

function checkRange(opts: TemperatureOptions, what: string): [number, number] {
  const { minTemperature = 0.01, maxTemperature = 100 } = opts;
  if (!(Number.isFinite(minTemperature) && minTemperature > 0)) throw new RangeError(`${what}: minTemperature must be a finite number > 0, got ${minTemperature}`);
  if (!(Number.isFinite(maxTemperature) && maxTemperature > minTemperature)) throw new RangeError(`${what}: maxTemperature must be finite and > minTemperature (${minTemperature}), got ${maxTemperature}`);
  return [minTemperature, maxTemperature];
}

function fit(m: HostMatrix, y: Int32Array, [minT, maxT]: [number, number]): TemperatureFit {
  // Search β = 1/T in [1/maxT, 1/minT]: the slope is negative left of the minimum and positive right of it.
  let lo = 1 / maxT;
  let hi = 1 / minT;
  const before = objective(m, y, 1).value;
  const done = (beta: number, iterations: number, atBound?: "lower" | "upper"): TemperatureFit => ({
    temperature: 1 / beta,
    nllBefore: before,
    nllAfter: objective(m, y, beta).value,
    count: m.rows,
    iterations,
    ...(atBound ? { atBound } : {}),
  });
  if (objective(m, y, lo).slope >= 0) return done(lo, 0, "upper");
  if (objective(m, y, hi).slope <= 0) return done(hi, 0, "lower");
  let beta = Math.min(hi, Math.max(lo, 1));
  for (let iterations = 1; iterations <= 200; iterations++) {
    const { slope, curvature } = objective(m, y, beta);
    if (slope === 0) return done(beta, iterations);
    if (slope < 0) lo = beta;
    else hi = beta;
    // Stop when the bracket is as narrow as float64 can tell apart.
    if (hi - lo <= 4 * Number.EPSILON * hi) return done(beta, iterations);
    const newton = curvature > 0 ? beta - slope / curvature : Number.NaN;
    // A Newton step that leaves the bracket (or has no curvature to use) becomes a bisection in log β.
    const next = newton > lo && newton < hi ? newton : Math.sqrt(lo * hi);
    // Newton converges from one side, so the bracket need not close: stop once a step no longer moves β.
    if (Math.abs(next - beta) <= 4 * Number.EPSILON * beta) return done(next, iterations);
    beta = next;
  }
  return done(beta, 200);
}

/**
 * Temperature scaling (Guo et al. 2017): the T > 0 that minimises the mean NLL of softmax(logits / T)
 * on held-out data (never the test set it will be evaluated on). The NLL is convex in 1/T, so the search
 * is a Newton iteration on 1/T kept inside a shrinking bracket (bisection where Newton would leave it):
 * deterministic, in float64, to float64 precision. `logits` is [N, C], `labels` class indices [N] or
 * one-hot rows. NaN or infinite logits, and an empty set, are refused with a one-line error.
 */
export function fitTemperature(logits: Array, labels: Labels, opts: TemperatureOptions = {}): TemperatureFit {
  const range = checkRange(opts, "fitTemperature");
  const { m, y } = readLogits(logits, labels, "fitTemperature");
  return fit(m, y, range);
}

function scores(m: HostMatrix, y: Int32Array, temperature: number, bins: number): CalibrationScores {
  const scaled: HostMatrix = { rows: m.rows, cols: m.cols, values: Float64Array.from(m.values, (v) => Number(v) / temperature) };
  const stats = logitRows(scaled, y);
  const acc = new CalibrationBins(bins);
  acc.add(stats, y);
  let nll = 0;
  for (let i = 0; i < m.rows; i++) nll -= stats.logProbTrue[i]!;
  return { nll: nll / m.rows, ece: acc.ece() };
}

/**
 * Fits T on held-out logits and reports the NLL and ECE (`bins` equal-width bins, 15 by default) of the
 * evaluation logits before (T = 1) and after dividing them by T. Argmax predictions, and so the error,
 * do not change with T.
 */
export function calibrationReport(
  heldOut: { logits: Array; labels: Labels },
  evaluated: { logits: Array; labels: Labels },
  opts: TemperatureOptions & { bins?: number } = {},
): CalibrationReport {
  const { bins = 15 } = opts;
  checkBins(bins, "calibrationReport");
  const range = checkRange(opts, "calibrationReport");
  const held = readLogits(heldOut.logits, heldOut.labels, "calibrationReport (held-out logits)");
  const ev = readLogits(evaluated.logits, evaluated.labels, "calibrationReport (evaluated logits)");
  if (held.m.cols !== ev.m.cols) throw new TypeError(`calibrationReport: held-out logits have ${held.m.cols} classes, evaluated logits ${ev.m.cols}`);
  const t = fit(held.m, held.y, range);
  return {
    temperature: t.temperature,
    ...(t.atBound ? { atBound: t.atBound } : {}),
    fitCount: held.m.rows,
    count: ev.m.rows,
    before: scores(ev.m, ev.y, 1, bins),
    after: scores(ev.m, ev.y, t.temperature, bins),
  };
}

import { stat, type Stat } from "../reproduce/table.js";

/** Student's t, two-sided 95% (the 0.975 quantile), for 1 to 30 degrees of freedom. */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/** The t quantile for a 95% interval: the table up to 30 degrees of freedom, a Cornish-Fisher expansion beyond. */
export function tQuantile975(df: number): number {
  if (!(Number.isInteger(df) && df >= 1)) return NaN;
  if (df <= T975.length) return T975[df - 1]!;
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2);
}

/** Mean, sample std, and the 95% confidence interval of the mean (t-based; none for a single value). */
export interface Interval extends Stat {
  lo: number;
  hi: number;
}

export function interval(values: readonly number[]): Interval {
  const s = stat(values);
  const half = s.n > 1 ? (tQuantile975(s.n - 1) * s.std) / Math.sqrt(s.n) : NaN;
  return { ...s, lo: s.mean - half, hi: s.mean + half };
}

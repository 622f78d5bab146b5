import { Array } from "@mmx/core";
import { Matrix, SingularValueDecomposition } from "ml-matrix";
import { hostLabels, type Labels } from "./host.js";

/** The singular values of one class's centred representations. */
export interface ClassSpectrum {
  readonly label: number;
  /** How many examples of this class there were. */
  readonly count: number;
  /** All min(count, D) singular values, descending. Empty for a class with no examples. */
  readonly singularValues: number[];
  /** The largest singular value (NaN for a class with no examples). */
  readonly largest: number;
  /** The sum of all the others (NaN for a class with no examples). */
  readonly restSum: number;
}

export interface Spectra {
  readonly classes: ClassSpectrum[];
  /**
   * The averages over the classes that have examples: the two numbers the paper's Sec. 3.2 reports
   * (largest singular value, sum of the others).
   */
  readonly mean: { readonly largest: number; readonly restSum: number; readonly classes: number };
}

/**
 * The flattening measure of Manifold Mixup's Sec. 3.2: for each class, centre the rows of `features`
 * ([N, D]; higher ranks are flattened to [N, prod(rest)]) that carry that label and take their
 * singular values (ml-matrix's SVD, in float64). Flatter class representations have fewer large
 * singular values: a smaller largest value and a smaller sum of the rest.
 *
 * `labels` are class indices [N] (or one-hot [N, C]); `numClasses` defaults to the largest label + 1
 * (C for one-hot), and a class without examples is listed with NaN values and left out of the mean.
 * `onClass(done, total)` is called after each class's decomposition, the slow part, for progress reports.
 */
export function classSpectra(features: Array, labels: Labels, opts: { numClasses?: number; onClass?: (done: number, total: number) => void } = {}): Spectra {
  const what = "classSpectra";
  if (!(features instanceof Array)) throw new TypeError(`${what}: features must be an mmx Array of shape [N, D], got ${typeof features}`);
  if (features.ndim < 2) throw new TypeError(`${what}: features must have a leading example axis and at least one feature axis ([N, D]), got ${features.dtype}[${features.shape.join(",")}]`);
  if (features.dtype !== "float32") throw new TypeError(`${what}: features must be float32, got ${features.dtype}[${features.shape.join(",")}]`);
  const n = features.shape[0]!;
  const d = features.size / Math.max(n, 1);
  if (n === 0 || d === 0) throw new RangeError(`${what}: features ${features.dtype}[${features.shape.join(",")}] hold no values`);

  const numClasses = opts.numClasses ?? inferClasses(labels, n);
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new RangeError(`${what}: numClasses must be a positive integer, got ${numClasses}`);
  const y = hostLabels(labels, n, numClasses, what);
  const values = features.dataSync();

  const classes: ClassSpectrum[] = [];
  for (let c = 0; c < numClasses; c++) {
    const rows: number[] = [];
    for (let i = 0; i < n; i++) if (y[i] === c) rows.push(i);
    classes.push(spectrumOf(c, rows, values, d));
    opts.onClass?.(c + 1, numClasses);
  }
  const present = classes.filter((c) => c.count > 0);
  const avg = (f: (c: ClassSpectrum) => number) => present.reduce((s, c) => s + f(c), 0) / present.length;
  return { classes, mean: { largest: avg((c) => c.largest), restSum: avg((c) => c.restSum), classes: present.length } };
}

function inferClasses(labels: Labels, n: number): number {
  if (labels instanceof Array && labels.ndim === 2) return labels.shape[1]!;
  const values = labels instanceof Array ? labels.dataSync() : labels;
  let top = -1;
  for (let i = 0; i < Math.min(n, values.length); i++) top = Math.max(top, Number(values[i]));
  return top + 1;
}

function spectrumOf(label: number, rows: readonly number[], values: ArrayLike<number>, d: number): ClassSpectrum {
  if (rows.length === 0) return { label, count: 0, singularValues: [], largest: NaN, restSum: NaN };
  const mean = new Float64Array(d);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j]! += Number(values[r * d + j]);
  for (let j = 0; j < d; j++) mean[j]! /= rows.length;
  const centred = new Matrix(rows.length, d);
  rows.forEach((r, i) => {
    for (let j = 0; j < d; j++) centred.set(i, j, Number(values[r * d + j]) - mean[j]!);
  });
  const svd = new SingularValueDecomposition(centred, { computeLeftSingularVectors: false, computeRightSingularVectors: false, autoTranspose: true });
  // JAMA's algorithm returns them sorted; sort anyway so the contract does not rest on that.
  const singularValues = svd.diagonal.slice(0, Math.min(rows.length, d)).sort((a, b) => b - a);
  const largest = singularValues[0]!;
  const restSum = singularValues.slice(1).reduce((s, v) => s + v, 0);
  return { label, count: rows.length, singularValues, largest, restSum };
}

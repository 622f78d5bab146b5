import type { Array } from "@mmx/core";
import { argmaxRows, hostLabels, hostScores, NO_PREDICTION, type Labels } from "./host.js";
import { logitRows } from "./rows.js";

function nonEmpty(rows: number, cols: number, what: string): void {
  if (rows === 0) throw new RangeError(`${what}: no examples (scores of shape [0,${cols}]); a mean over nothing is undefined`);
}

/**
 * The fraction of rows classified right (`right`) or wrong, the predicted class being the argmax (first on ties);
 * NaN where a row has no prediction (a NaN score).
 */
function fractionPredicted(logits: Array, labels: Labels, right: boolean, what: string): number {
  const m = hostScores(logits, what);
  nonEmpty(m.rows, m.cols, what);
  const y = hostLabels(labels, m.rows, m.cols, what);
  const predicted = argmaxRows(m);
  if (predicted.includes(NO_PREDICTION)) return Number.NaN;
  let count = 0;
  for (let i = 0; i < m.rows; i++) if ((predicted[i] === y[i]) === right) count++;
  return count / m.rows;
}

/**
 * The fraction of rows whose argmax (first on ties) is the label. `logits` is [N, C] (probabilities
 * work too: the argmax is the same); `labels` are class indices [N] or one-hot rows [N, C].
 */
export function accuracy(logits: Array, labels: Labels): number {
  return fractionPredicted(logits, labels, true, "accuracy");
}

/** The fraction of rows misclassified: 1 − accuracy. */
export function error(logits: Array, labels: Labels): number {
  return fractionPredicted(logits, labels, false, "error");
}

/**
 * Mean negative log-likelihood of the true class under softmax(logits): the test NLL the paper
 * reports (ordinary cross-entropy). Computed in float64 with the row max subtracted, so large logits
 * do not overflow.
 */
export function nll(logits: Array, labels: Labels): number {
  const m = hostScores(logits, "nll");
  nonEmpty(m.rows, m.cols, "nll");
  const y = hostLabels(labels, m.rows, m.cols, "nll");
  const { logProbTrue } = logitRows(m, y);
  let sum = 0;
  for (let i = 0; i < m.rows; i++) sum -= logProbTrue[i]!;
  return sum / m.rows;
}

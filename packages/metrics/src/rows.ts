import { argmaxRows, NO_PREDICTION, type HostMatrix } from "./host.js";

/** What every classification metric needs from one example. */
export interface RowStats {
  /** The predicted class (first argmax). */
  readonly predicted: Int32Array;
  /** The predicted class's probability. */
  readonly confidence: Float64Array;
}

/** Per-row statistics from logits, with the true class's log-probability (for NLL). */
export interface LogitRowStats extends RowStats {
  readonly logProbTrue: Float64Array;
}

/**
 * Softmax statistics of each row, in float64 with the max subtracted (stable for any finite logits):
 * log p_y = x_y − (m + log Σ exp(x − m)) and the confidence max p = 1 / Σ exp(x − m).
 */
export function logitRows(m: HostMatrix, labels: Int32Array): LogitRowStats {
  const predicted = argmaxRows(m);
  const confidence = new Float64Array(m.rows);
  const logProbTrue = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    const base = i * m.cols;
    if (predicted[i] === NO_PREDICTION) {
      [confidence[i], logProbTrue[i]] = [Number.NaN, Number.NaN];
      continue;
    }
    const top = Number(m.values[base + predicted[i]!]);
    let s = 0;
    for (let j = 0; j < m.cols; j++) s += Math.exp(Number(m.values[base + j]) - top);
    confidence[i] = 1 / s;
    logProbTrue[i] = Number(m.values[base + labels[i]!]) - top - Math.log(s);
  }
  return { predicted, confidence, logProbTrue };
}

/** Per-row statistics from probabilities (rows already summing to one). */
export function probRows(m: HostMatrix): RowStats {
  const predicted = argmaxRows(m);
  const confidence = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) confidence[i] = predicted[i] === NO_PREDICTION ? Number.NaN : Number(m.values[i * m.cols + predicted[i]!]);
  return { predicted, confidence };
}

/** Whether every row is a probability vector: entries in [0, 1] summing to 1 within `tol`. */
export function looksLikeProbabilities(m: HostMatrix, tol = 1e-3): boolean {
  for (let i = 0; i < m.rows; i++) {
    let s = 0;
    for (let j = 0; j < m.cols; j++) {
      const v = Number(m.values[i * m.cols + j]);
      if (!(v >= 0 && v <= 1)) return false;
      s += v;
    }
    if (Math.abs(s - 1) > tol) return false;
  }
  return true;
}

import type { Array } from "@mmx/core";
import { CalibrationBins, checkBins, type ReliabilityBin } from "./calibration.js";
import { hostLabels, hostScores, NO_PREDICTION, type Labels } from "./host.js";
import { logitRows } from "./rows.js";

/** A dataset's metrics, as `metricsAccumulator().result()` gives them. */
export interface MetricsResult {
  readonly count: number;
  readonly accuracy: number;
  readonly error: number;
  /** Mean cross-entropy of the true class. */
  readonly nll: number;
  /** Expected calibration error over `bins` equal-width confidence bins. */
  readonly ece: number;
  readonly reliability: ReliabilityBin[];
}

export interface MetricsAccumulator {
  /** Adds one batch: logits [B, C] and labels [B] (or one-hot [B, C]). Nothing of it is kept. */
  add(logits: Array, labels: Labels): void;
  /** The metrics of every example added so far; equal to the one-shot functions on their concatenation. */
  result(): MetricsResult;
}

/**
 * Evaluates a dataset batch by batch: keeps running sums (correct count, summed NLL, per-bin
 * confidence sums and counts) rather than the logits, so memory does not grow with the dataset.
 */
export function metricsAccumulator(opts: { bins?: number } = {}): MetricsAccumulator {
  const { bins = 15 } = opts;
  checkBins(bins, "metricsAccumulator");
  const calibration = new CalibrationBins(bins);
  let classes: number | undefined;
  let count = 0;
  let correct = 0;
  let nllSum = 0;
  /** Rows whose scores held NaN: they have no prediction, so accuracy and error are NaN (as NLL and ECE are). */
  let undefinedRows = 0;
  return {
    add(logits, labels) {
      const m = hostScores(logits, "metricsAccumulator.add");
      if (classes !== undefined && m.cols !== classes) {
        throw new TypeError(`metricsAccumulator.add: this batch has ${m.cols} classes ([${m.rows},${m.cols}]), earlier batches had ${classes}`);
      }
      classes = m.cols;
      const y = hostLabels(labels, m.rows, m.cols, "metricsAccumulator.add");
      const stats = logitRows(m, y);
      for (let i = 0; i < m.rows; i++) {
        if (stats.predicted[i] === NO_PREDICTION) undefinedRows++;
        if (stats.predicted[i] === y[i]) correct++;
        nllSum -= stats.logProbTrue[i]!;
      }
      count += m.rows;
      calibration.add(stats, y);
    },
    result() {
      if (count === 0) throw new RangeError("metricsAccumulator.result: no examples were added");
      return {
        count,
        accuracy: undefinedRows > 0 ? Number.NaN : correct / count,
        error: undefinedRows > 0 ? Number.NaN : (count - correct) / count,
        nll: nllSum / count,
        ece: calibration.ece(),
        reliability: calibration.table(),
      };
    },
  };
}

import type { Array } from "@mmx/core";
import { hostLabels, hostScores, type HostMatrix, type Labels } from "./host.js";
import { logitRows, looksLikeProbabilities, probRows, type RowStats } from "./rows.js";

/** One confidence bin of a reliability diagram. */
export interface ReliabilityBin {
  /** The bin covers confidences in (lower, upper] (the first bin also takes 0). */
  readonly lower: number;
  readonly upper: number;
  readonly count: number;
  /** Mean confidence (max probability) of the bin's examples; NaN for an empty bin. */
  readonly confidence: number;
  /** Fraction of the bin's examples predicted correctly; NaN for an empty bin. */
  readonly accuracy: number;
  /** confidence − accuracy: positive where the model is overconfident; NaN for an empty bin. */
  readonly gap: number;
}

export interface CalibrationOptions {
  /** Number of equal-width confidence bins over [0, 1] (Guo et al. 2017 use 15). */
  bins?: number;
  /**
   * What the scores are. `auto` (the default) treats them as probabilities when every row lies in
   * [0, 1] and sums to 1 within 1e-3, and as logits (softmax applied) otherwise.
   */
  input?: "auto" | "logits" | "probs";
}

export function checkBins(bins: number, what: string): void {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`${what}: bins must be a positive integer, got ${bins}`);
}

/**
 * Running sums per equal-width confidence bin. Sums (not means) make the statistics of a dataset the
 * same whether it arrives in one batch or many.
 */
export class CalibrationBins {
  readonly counts: Float64Array;
  readonly confidenceSums: Float64Array;
  readonly correctCounts: Float64Array;
  total = 0;
  /** Rows whose confidence is NaN (scores holding NaN): they belong to no bin, and make the ECE NaN. */
  undefinedRows = 0;

  constructor(readonly bins: number) {
    this.counts = new Float64Array(bins);
    this.confidenceSums = new Float64Array(bins);
    this.correctCounts = new Float64Array(bins);
  }

  /** Bin m (0-based) holds confidences in (m/M, (m+1)/M], as in Guo et al. */
  binOf(confidence: number): number {
    return Math.min(this.bins - 1, Math.max(0, Math.ceil(confidence * this.bins) - 1));
  }

  add(stats: RowStats, labels: Int32Array): void {
    for (let i = 0; i < labels.length; i++) {
      const c = stats.confidence[i]!;
      if (Number.isNaN(c)) {
        this.undefinedRows++;
        continue;
      }
      const b = this.binOf(c);
      this.counts[b]!++;
      this.confidenceSums[b]! += c;
      if (stats.predicted[i] === labels[i]) this.correctCounts[b]!++;
    }
    this.total += labels.length;
  }

  /** ECE = Σ_m |B_m|/N · |acc(B_m) − conf(B_m)| = Σ_m |correct_m − Σ conf_m| / N. */
  ece(): number {
    if (this.undefinedRows > 0) return Number.NaN;
    let s = 0;
    for (let b = 0; b < this.bins; b++) s += Math.abs(this.correctCounts[b]! - this.confidenceSums[b]!);
    return s / this.total;
  }

  table(): ReliabilityBin[] {
    return globalThis.Array.from({ length: this.bins }, (_, b) => {
      const count = this.counts[b]!;
      const confidence = count > 0 ? this.confidenceSums[b]! / count : NaN;
      const accuracy = count > 0 ? this.correctCounts[b]! / count : NaN;
      return { lower: b / this.bins, upper: (b + 1) / this.bins, count, confidence, accuracy, gap: confidence - accuracy };
    });
  }
}

function binned(scores: Array, labels: Labels, opts: CalibrationOptions, what: string): CalibrationBins {
  const { bins = 15, input = "auto" } = opts;
  checkBins(bins, what);
  if (input !== "auto" && input !== "logits" && input !== "probs") {
    throw new TypeError(`${what}: input must be 'auto', 'logits' or 'probs', got ${JSON.stringify(input)}`);
  }
  const m: HostMatrix = hostScores(scores, what);
  if (m.rows === 0) throw new RangeError(`${what}: no examples (scores of shape [0,${m.cols}])`);
  const y = hostLabels(labels, m.rows, m.cols, what);
  const asProbs = input === "probs" || (input === "auto" && looksLikeProbabilities(m));
  const acc = new CalibrationBins(bins);
  acc.add(asProbs ? probRows(m) : logitRows(m, y), y);
  return acc;
}

/**
 * Expected calibration error (Guo et al. 2017): examples are binned by confidence (the predicted
 * class's probability) into equal-width bins, and ECE = Σ_m |B_m|/N · |accuracy(B_m) − confidence(B_m)|.
 * `probsOrLogits` is [N, C]; see `CalibrationOptions.input` for how the two are told apart.
 */
export function ece(probsOrLogits: Array, labels: Labels, opts: CalibrationOptions = {}): number {
  return binned(probsOrLogits, labels, opts, "ece").ece();
}

/** The per-bin counts, mean confidence, accuracy and gap behind `ece` (a reliability diagram). */
export function reliabilityTable(probsOrLogits: Array, labels: Labels, opts: CalibrationOptions = {}): ReliabilityBin[] {
  return binned(probsOrLogits, labels, opts, "reliabilityTable").table();
}

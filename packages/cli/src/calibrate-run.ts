import { dispose } from "@mmx/core";
import type { BatchSource } from "@mmx/data";
import { calibrationReport } from "@mmx/metrics";
import type { Trained } from "./analysis.js";
import type { DataConfig } from "./datasets.js";
import { collectLogits } from "./evaluate.js";
import { heldOutData, type HeldOut } from "./held-out.js";

/** Held-out examples a temperature is fitted on, by default (as many as there are, up to this). */
export const CALIBRATION_EXAMPLES = 5000;

/** Test NLL and ECE after temperature scaling, T fitted on held-out examples (never the test set). */
export interface CalibratedMetrics {
  temperature: number;
  nll: number;
  ece: number;
  /** Where the fitting examples came from, and how many there were. */
  fitOn: string;
  fitCount: number;
}

/** A run's calibration, or why it has none (it trained on every example of its training split). */
export type RunCalibration = CalibratedMetrics | { missing: string };

/** Held-out sets per data config and size, per thread: the runs of one data config share one. */
const heldOutSets = new Map<string, HeldOut | { missing: string }>();

function heldOutFor(config: DataConfig, size: number): Promise<HeldOut | { missing: string }> | HeldOut | { missing: string } {
  const { dataset, spiralsNoise, dataSeed, trainLimit, dataDir } = config;
  const id = JSON.stringify([dataset, spiralsNoise, dataSeed, trainLimit ?? null, dataDir ?? null, size]);
  const known = heldOutSets.get(id);
  if (known) return known;
  return heldOutData(config, size).then((found) => {
    heldOutSets.set(id, found);
    return found;
  });
}

/**
 * Temperature scaling of a trained run: T fitted on up to `size` held-out examples of its data config
 * (`heldOutData`: fresh spiral points, or the training images after its `trainLimit`), and the NLL and ECE
 * of `test` at that temperature.
 */
export async function calibrateTrained(t: Trained, config: DataConfig, test: BatchSource, size: number): Promise<RunCalibration> {
  const held = await heldOutFor(config, size);
  if ("missing" in held) return held;
  const fit = collectLogits(t.model, t.params, t.modelState, held.source, t.input);
  const evaluated = collectLogits(t.model, t.params, t.modelState, test, t.input);
  try {
    const r = calibrationReport(fit, evaluated);
    return { temperature: r.temperature, nll: r.after.nll, ece: r.after.ece, fitOn: held.description, fitCount: r.fitCount };
  } finally {
    dispose([fit.logits, evaluated.logits]);
  }
}

/** A run's calibration as the progress lines show it ("" for none). */
export function calibrationText(c: RunCalibration | undefined): string {
  if (!c) return "";
  if ("missing" in c) return "  (no temperature scaling: no held-out data)";
  return `  (T = ${c.temperature.toFixed(2)}: NLL ${c.nll.toFixed(3)}  ECE ${(100 * c.ece).toFixed(2)}%)`;
}

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "./errors.js";

/** The files of a run folder. */
export const runFiles = (dir: string) => ({
  config: join(dir, "config.json"),
  metrics: join(dir, "metrics.json"),
  checkpoint: join(dir, "checkpoint.mmx"),
});

/**
 * Where `eval`, `attack` and `spectra` save their results in a run folder: one JSON file per question
 * asked (`eval-test.json`, `attack-fgsm-eps0.03.json`, `spectra-bottleneck-test.json`), rewritten when asked again.
 */
export const resultFile = (dir: string, ...parts: readonly (string | number)[]) => join(dir, `${parts.join("-")}.json`);

/** One line of metrics.json: the state of the run at the end of an epoch. */
export interface EpochRecord {
  /** Epochs completed (1 for the first). */
  epoch: number;
  /** Optimizer steps taken so far. */
  step: number;
  /** The learning rate of the epoch's last step. */
  lr: number;
  /** Mean training loss over the epoch's steps (on the mixed batches when mixing). */
  trainLoss: number;
  testError: number;
  testNll: number;
  testEce: number;
  /** Seconds the epoch's training steps took (evaluation excluded). */
  seconds: number;
  examplesPerSecond: number;
}

export function readMetrics(dir: string): EpochRecord[] {
  const path = runFiles(dir).metrics;
  if (!existsSync(path)) return [];
  return (JSON.parse(readFileSync(path, "utf8")) as { epochs: EpochRecord[] }).epochs;
}

/** Checks that `dir` holds a saved run (a checkpoint), with an error that says what is there instead. */
export function requireRun(dir: string | undefined, command: string): string {
  if (!dir) throw new UsageError(`mmx ${command} needs a run folder: mmx ${command} --run runs/NAME (a folder written by mmx train)`);
  if (!existsSync(dir)) throw new UsageError(`mmx ${command}: no run folder at ${dir}`);
  const { checkpoint } = runFiles(dir);
  if (!existsSync(checkpoint)) throw new UsageError(`mmx ${command}: ${dir} holds no checkpoint (${checkpoint} is missing); train first with mmx train --out ${dir}`);
  return dir;
}

import { existsSync, lstatSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { TrainConfig } from "./config.js";
import { validateConfig } from "./config-schema.js";
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

/** One rule per field of an epoch record: a field added without a rule does not compile. */
const RECORD_FIELDS: { readonly [K in keyof EpochRecord]-?: "count" | "number" } = {
  epoch: "count",
  step: "count",
  lr: "number",
  trainLoss: "number",
  testError: "number",
  testNll: "number",
  testEce: "number",
  seconds: "number",
  examplesPerSecond: "number",
};

/**
 * The epoch records of a run folder's metrics.json ([] when there is none), checked against the schema:
 * `{ config, epochs: [...] }` with epochs numbered 1, 2, ... and every field a number. A file that is
 * not valid JSON or breaks the schema is a UsageError naming it.
 */
export function readMetrics(dir: string): EpochRecord[] {
  const path = runFiles(dir).metrics;
  if (!existsSync(path)) return [];
  const fail = (why: string): never => {
    throw new UsageError(`${path} ${why}; repair or delete it (deleting it loses the records of the epochs trained so far)`);
  };
  // A FIFO by that name would make the read wait forever.
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat && !stat.isFile()) return fail(stat.isDirectory() ? "is a folder, not a file" : "is not a regular file");
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return fail(code ? `cannot be read (${code})` : `is not valid JSON (${(e as Error).message})`);
  }
  const epochs = (parsed as { epochs?: unknown } | null)?.epochs;
  if (!globalThis.Array.isArray(epochs)) return fail("is not a metrics file of mmx: it has no 'epochs' list");
  epochs.forEach((r: unknown, i) => {
    if (typeof r !== "object" || r === null) fail(`has ${JSON.stringify(r)} as record ${i}, not an object`);
    for (const [field, kind] of Object.entries(RECORD_FIELDS)) {
      const v = (r as Record<string, unknown>)[field];
      // JSON writes NaN and Infinity as null: a diverged epoch's record may hold them.
      const ok = kind === "count" ? Number.isSafeInteger(v) && (v as number) >= 0 : typeof v === "number" || v === null;
      if (!ok) fail(`has ${JSON.stringify(v)} as '${field}' of record ${i}; it must be ${kind === "count" ? "a whole number >= 0" : "a number"}`);
    }
    if ((r as EpochRecord).epoch !== i + 1) fail(`has record ${i} for epoch ${(r as EpochRecord).epoch}; the records must be epochs 1, 2, ... in order`);
  });
  return epochs as EpochRecord[];
}

/** Checks that `dir` holds a saved run (a checkpoint), with an error that says what is there instead. */
export function requireRun(dir: string | undefined, command: string): string {
  if (!dir) throw new UsageError(`mmx ${command} needs a run folder: mmx ${command} --run runs/NAME (a folder written by mmx train)`);
  if (!existsSync(dir)) throw new UsageError(`mmx ${command}: no run folder at ${dir}`);
  if (!statSync(dir).isDirectory()) throw new UsageError(`mmx ${command}: ${dir} is a file, not a run folder`);
  const { checkpoint } = runFiles(dir);
  // lstat: a broken or looping link is a checkpoint that cannot be read (its reader says so), not a missing one.
  if (!lstatSync(checkpoint, { throwIfNoEntry: false })) throw new UsageError(`mmx ${command}: ${dir} holds no checkpoint (${checkpoint} is missing); train first with mmx train --out ${dir}`);
  return dir;
}

/**
 * The config a run folder's config.json holds, or why it is not a run's config ("is not valid JSON",
 * "its config lacks the field 'model'"); undefined when there is none. config.json is written for
 * people and never trusted: the checkpoint holds the run's settings.
 */
export function readConfigFile(dir: string): { config: TrainConfig } | { problem: string } | undefined {
  const path = runFiles(dir).config;
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return undefined;
  if (!stat.isFile()) return { problem: "is not a regular file" };
  try {
    return { config: validateConfig(JSON.parse(readFileSync(path, "utf8")), path) };
  } catch (e) {
    if (e instanceof UsageError) return { problem: e.message.slice(path.length + 2) };
    return { problem: e instanceof SyntaxError ? `is not valid JSON (${e.message})` : `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
  }
}

/**
 * Refuses a folder for a new run when a file the run would replace (config.json, metrics.json) is not
 * one mmx wrote: `--out .` in a project that has its own config.json must not overwrite it.
 */
export function checkNoForeignRunFiles(dir: string, flag = "--out"): void {
  const files = runFiles(dir);
  const config = readConfigFile(dir);
  if (config && "problem" in config) throw new UsageError(`${flag} ${dir} holds a config.json that is not a run's (${files.config} ${config.problem}); a new run would overwrite it: choose another ${flag}, or move the file`);
  try {
    readMetrics(dir);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    throw new UsageError(`${flag} ${dir} holds a metrics.json that is not a run's (${e.message.replace(/; repair or delete it.*$/, "")}); a new run would overwrite it: choose another ${flag}, or move the file`);
  }
}

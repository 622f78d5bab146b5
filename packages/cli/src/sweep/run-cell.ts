import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { dispose } from "@mmx/core";
import { attackAccuracy } from "../analysis.js";
import { CALIBRATION_EXAMPLES, calibrateTrained, type RunCalibration } from "../calibrate-run.js";
import { writeJsonAtomic } from "../atomic-file.js";
import { useBackend } from "../backends.js";
import { readCheckpointInfo } from "../checkpoint.js";
import { validateConfig } from "../config-schema.js";
import { blame, UsageError } from "../errors.js";
import { loadData, type LoadedData } from "../datasets.js";
import type { ProgressSink } from "../progress.js";
import { runFiles, type EpochRecord } from "../run-files.js";
import { train } from "../train.js";
import { canonicalJson, type Cell } from "./cells.js";

/** What a finished cell contributes to the sweep: its run's metrics and its evaluation. */
export interface CellResult {
  id: string;
  label: string;
  group: string;
  context: string;
  config: Cell["config"];
  /** The last epoch's test metrics (no selection on the test set). */
  final: EpochRecord;
  curve: EpochRecord[];
  fgsm: { eps: number; clean: number; adversarial: number; count: number };
  /**
   * Test NLL and ECE after temperature scaling, T fitted on held-out training examples (never the test
   * set), or why there are none (the cell trained on a whole training split). Absent in cells that an
   * mmx before this field finished: they count as not calibrated, and are not re-run for it.
   */
  calibrated?: RunCalibration;
  trainSeconds: number;
}

/** The file beside a cell's run files that says it is finished: written last, atomically. */
export const cellResultFile = (dir: string) => join(dir, "cell.json");

/**
 * A finished cell's result, or undefined when `dir` holds none for this id (absent, or another cell's).
 * A cell.json that is not one mmx wrote (not JSON, a field missing or of the wrong kind, a config that
 * breaks the run schema) is a UsageError naming the file and the field: the report would otherwise
 * average garbage, and the sweep would count the cell as done.
 */
export function readCellResult(dir: string, id: string): CellResult | undefined {
  const path = cellResultFile(dir);
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return undefined;
  const fail = (why: string): never => {
    throw new UsageError(`${path} ${why}; delete it and run the sweep again to re-run the cell`);
  };
  if (!stat.isFile()) fail("is not a regular file");
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    return fail(`is not valid JSON (${(e as Error).message.split("\n")[0]})`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return fail("is not a cell result of mmx (not an object)");
  const r = raw as Record<string, unknown>;
  if (r.id !== id) return undefined;
  for (const field of ["label", "group", "context"] as const) if (typeof r[field] !== "string") fail(`has ${JSON.stringify(r[field])} as '${field}'; it must be text`);
  blame(path, () => validateConfig(r.config, "the cell"));
  const isNumber = (v: unknown) => typeof v === "number" || v === null;
  const record = (v: unknown, where: string) => {
    if (typeof v !== "object" || v === null) fail(`has ${JSON.stringify(v)} as '${where}'; it must be an epoch record`);
    for (const field of ["epoch", "step", "lr", "trainLoss", "testError", "testNll", "testEce", "seconds", "examplesPerSecond"]) {
      if (!isNumber((v as Record<string, unknown>)[field])) fail(`has ${JSON.stringify((v as Record<string, unknown>)[field])} as '${where}.${field}'; it must be a number`);
    }
  };
  record(r.final, "final");
  if (!Array.isArray(r.curve)) fail("has no 'curve' list");
  (r.curve as unknown[]).forEach((e, i) => record(e, `curve[${i}]`));
  const fgsm = r.fgsm as Record<string, unknown> | null;
  if (typeof fgsm !== "object" || fgsm === null) fail(`has ${JSON.stringify(fgsm)} as 'fgsm'`);
  for (const field of ["eps", "clean", "adversarial", "count"]) if (!isNumber(fgsm![field])) fail(`has ${JSON.stringify(fgsm![field])} as 'fgsm.${field}'; it must be a number`);
  if (r.calibrated !== undefined) checkCalibration(r.calibrated, fail);
  if (!isNumber(r.trainSeconds)) fail(`has ${JSON.stringify(r.trainSeconds)} as 'trainSeconds'; it must be a number`);
  return raw as CellResult;
}

/** A cell.json's 'calibrated': the numbers of a fitted temperature, or the reason there is none. */
function checkCalibration(c: unknown, fail: (why: string) => never): void {
  if (typeof c !== "object" || c === null || Array.isArray(c)) return void fail(`has ${JSON.stringify(c)} as 'calibrated'; it must be an object`);
  const o = c as Record<string, unknown>;
  if ("missing" in o) {
    if (typeof o.missing !== "string") fail(`has ${JSON.stringify(o.missing)} as 'calibrated.missing'; it must be text`);
    return;
  }
  for (const field of ["temperature", "nll", "ece", "fitCount"]) if (typeof o[field] !== "number" && o[field] !== null) fail(`has ${JSON.stringify(o[field])} as 'calibrated.${field}'; it must be a number`);
  if (typeof o.fitOn !== "string") fail(`has ${JSON.stringify(o.fitOn)} as 'calibrated.fitOn'; it must be text`);
}

/** Loaded datasets, per thread: the cells of one data config share a load. */
const loaded = new Map<string, LoadedData>();

/**
 * Trains a cell into the run folder `dir` with `mmx train`'s loop and evaluates it (final test
 * metrics, FGSM accuracy, NLL and ECE after temperature scaling), then writes `cell.json`. A run folder left by an interrupted attempt at
 * the same config continues from its checkpoint (bit-exact on the same backend); anything else there
 * is replaced.
 */
export async function runCell(cell: Cell, dir: string, opts: { progress?: ProgressSink; label?: string } = {}): Promise<CellResult> {
  const { config } = cell;
  await useBackend(config.backend);
  const { dataset, spiralsTrain, spiralsTest, spiralsNoise, dataSeed, trainLimit, testLimit, dataDir } = config;
  const dataKey = canonicalJson({ dataset, spiralsTrain, spiralsTest, spiralsNoise, dataSeed, trainLimit, testLimit, dataDir });
  let data = loaded.get(dataKey);
  if (!data) {
    data = await loadData(config, (l) => opts.progress?.log(l));
    loaded.set(dataKey, data);
  }
  const result = await train(config, {
    out: dir,
    ...(canResume(dir, cell) ? { resume: true } : { overwrite: true }),
    data,
    ...(opts.progress ? { progress: opts.progress } : {}),
    ...(opts.label ? { label: opts.label } : {}),
    ...(cell.evalEvery ? { evalEvery: cell.evalEvery } : {}),
  });
  try {
    const trained = { model: result.model, params: result.params, modelState: result.modelState, input: result.input };
    const attacked = await attackAccuracy(trained, data.test, { kind: "fgsm", eps: cell.fgsmEps, clip: data.clip });
    // As many held-out examples as `mmx eval` fits on by default: `mmx eval` of the cell's folder gives the same numbers.
    const calibrated = await calibrateTrained(trained, config, data.test, CALIBRATION_EXAMPLES);
    const cellResult: CellResult = {
      id: cell.id,
      label: cell.label,
      group: cell.group,
      context: cell.context,
      config,
      final: result.metrics[result.metrics.length - 1]!,
      curve: result.metrics,
      fgsm: { eps: cell.fgsmEps, clean: attacked.clean, adversarial: attacked.adversarial, count: attacked.count },
      calibrated,
      trainSeconds: result.trainSeconds,
    };
    writeJsonAtomic(cellResultFile(dir), cellResult);
    return cellResult;
  } finally {
    dispose([result.params, result.modelState]);
  }
}

/** Whether `dir` holds a checkpoint of this very config, short of its last epoch. */
function canResume(dir: string, cell: Cell): boolean {
  const { checkpoint } = runFiles(dir);
  if (!existsSync(checkpoint)) return false;
  try {
    const info = readCheckpointInfo(checkpoint);
    return canonicalJson(info.config) === canonicalJson(cell.config) && info.epoch < cell.config.epochs && info.backend === cell.config.backend;
  } catch {
    return false;
  }
}

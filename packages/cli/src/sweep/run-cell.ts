import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { dispose } from "@mmx/core";
import { attackAccuracy } from "../analysis.js";
import { writeJsonAtomic } from "../atomic-file.js";
import { useBackend } from "../backends.js";
import { readCheckpointInfo } from "../checkpoint.js";
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
  trainSeconds: number;
}

/** The file beside a cell's run files that says it is finished: written last, atomically. */
export const cellResultFile = (dir: string) => join(dir, "cell.json");

/** A finished cell's result, or undefined when `dir` holds none for this id (absent, partial or another cell's). */
export function readCellResult(dir: string, id: string): CellResult | undefined {
  const path = cellResultFile(dir);
  if (!existsSync(path)) return undefined;
  try {
    const r = JSON.parse(readFileSync(path, "utf8")) as CellResult;
    return r.id === id ? r : undefined;
  } catch {
    return undefined;
  }
}

/** Loaded datasets, per thread: the cells of one data config share a load. */
const loaded = new Map<string, LoadedData>();

/**
 * Trains a cell into the run folder `dir` with `mmx train`'s loop and evaluates it (final test
 * metrics, FGSM accuracy), then writes `cell.json`. A run folder left by an interrupted attempt at
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
  });
  try {
    const attacked = await attackAccuracy({ model: result.model, params: result.params, modelState: result.modelState, input: result.input }, data.test, { kind: "fgsm", eps: cell.fgsmEps, clip: data.clip });
    const cellResult: CellResult = {
      id: cell.id,
      label: cell.label,
      group: cell.group,
      context: cell.context,
      config,
      final: result.metrics[result.metrics.length - 1]!,
      curve: result.metrics,
      fgsm: { eps: cell.fgsmEps, clean: attacked.clean, adversarial: attacked.adversarial, count: attacked.count },
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

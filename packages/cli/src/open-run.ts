import { dispose } from "@mmx/core";
import { useBackend } from "./backends.js";
import { loadCheckpoint, readCheckpointInfo } from "./checkpoint.js";
import type { TrainConfig } from "./config.js";
import { loadData, type LoadedData } from "./datasets.js";
import type { Trained } from "./analysis.js";
import { buildModel } from "./models.js";
import { requireRun, runFiles } from "./run-files.js";

export interface OpenedRun extends Trained {
  config: TrainConfig;
  data: LoadedData;
  /** Epochs the checkpoint had completed. */
  epoch: number;
  backend: string;
}

/**
 * Loads a saved run for evaluation: its config and checkpoint, its data, and its model, on `backend`
 * (default: the backend that trained it). The caller disposes `params` and `modelState`.
 */
export async function openRun(dir: string | undefined, command: string, backend?: string, log?: (line: string) => void): Promise<OpenedRun> {
  const run = requireRun(dir, command);
  const path = runFiles(run).checkpoint;
  const info = readCheckpointInfo(path);
  const used = await useBackend(backend ?? info.backend);
  const data = await loadData(info.config, log);
  const { model, input } = buildModel(info.config.model, data, info.config.hidden);
  const ckpt = loadCheckpoint(path);
  dispose(ckpt.opt);
  return { config: info.config, data, model, input, params: ckpt.params, modelState: ckpt.modelState, epoch: ckpt.epoch, backend: used };
}

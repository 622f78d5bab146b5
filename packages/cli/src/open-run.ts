import { dispose } from "@mmx/core";
import { useBackend } from "./backends.js";
import { loadCheckpoint, readCheckpointInfo } from "./checkpoint.js";
import type { TrainConfig } from "./config.js";
import { loadData, type LoadedData } from "./datasets.js";
import type { Trained } from "./analysis.js";
import { checkParamsFit } from "./params-fit.js";
import { blame, blameAsync, UsageError } from "./errors.js";
import { batchCount } from "@mmx/data";
import { buildModel, initModel } from "./models.js";
import { key } from "@mmx/random";
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
  const source = `checkpoint ${path}`;
  // A backend or data folder the checkpoint names is the checkpoint's: say so, and how to choose another backend.
  const used = backend ?? (await blameAsync(`${source} (trained on backend '${info.backend}'; --backend chooses another)`, () => useBackend(info.backend)));
  if (backend !== undefined) await useBackend(backend);
  const data = await blameAsync(source, () => loadData(info.config, log));
  const { model, input } = blame(source, () => buildModel(info.config.model, data, info.config.hidden));
  // The step is not used here, but a checkpoint whose step and epoch disagree was edited or is not this data's.
  const stepsPerEpoch = batchCount(data.trainCount, info.config.batch, true);
  if (info.step !== info.epoch * stepsPerEpoch) throw new UsageError(`${source}: its step ${info.step} does not match its epoch ${info.epoch} (${stepsPerEpoch} steps per epoch)`);
  const ckpt = loadCheckpoint(path);
  dispose(ckpt.opt);
  const fresh = blame(source, () => initModel(model, key(0), input, info.config.hidden));
  try {
    checkParamsFit({ params: fresh.params, modelState: fresh.state, opt: null }, { params: ckpt.params, modelState: ckpt.modelState, opt: null }, source);
  } catch (e) {
    dispose([ckpt.params, ckpt.modelState]);
    throw e;
  } finally {
    dispose([fresh.params, fresh.state]);
  }
  return { config: info.config, data, model, input, params: ckpt.params, modelState: ckpt.modelState, epoch: ckpt.epoch, backend: used };
}

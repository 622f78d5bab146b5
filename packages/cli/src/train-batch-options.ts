import type { BatchOptions } from "@mmx/data";
import { foldIn, type Key } from "@mmx/random";
import { reshapeBatch, type LoadedData } from "./datasets.js";

/**
 * How `train` and `trainSeedRuns` draw one epoch's training batches: shuffled by the run's shuffle key folded with
 * the epoch (so a resumed run sees the same order), full batches only, each augmented where the data set has
 * augmentation and shaped as the model's input.
 */
export function trainBatchOptions(data: LoadedData, batchSize: number, modelInput: readonly number[], shuffle: Key, epoch: number): BatchOptions {
  return {
    batchSize,
    key: foldIn(shuffle, epoch),
    dropLast: true,
    transform: data.augment ? (x: Parameters<NonNullable<LoadedData["augment"]>>[0], k: Key) => reshapeBatch(data.augment!(x, k), modelInput) : (x: Parameters<typeof reshapeBatch>[0]) => reshapeBatch(x, modelInput),
  };
}

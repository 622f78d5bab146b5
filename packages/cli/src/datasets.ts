import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  AUGMENTATION_PRESETS,
  augment,
  DataFileError,
  fashionMnist,
  hostArray,
  ImageDataset,
  mnist,
  readCifar10,
  spiralPoints,
  type BatchSource,
  type HostArray,
  type LoadProgress,
} from "@mmx/data/node";
import { foldIn, key, type Key } from "@mmx/random";
import { UsageError } from "./errors.js";

export const DATASETS = ["spirals", "fashion-mnist", "mnist", "cifar10"] as const;
export type DatasetName = (typeof DATASETS)[number];

/** What selects and sizes the data: part of a run's config, so a saved run reloads the same data. */
export interface DataConfig {
  dataset: DatasetName;
  /** Spirals: the points generated for training and for testing. */
  spiralsTrain: number;
  spiralsTest: number;
  spiralsNoise: number;
  /** Image datasets: keep only the first N examples of a split (a class-balanced prefix for the embedded ones). */
  trainLimit?: number;
  testLimit?: number;
  /** CIFAR-10: the folder holding data_batch_1.bin … data_batch_5.bin and test_batch.bin. */
  dataDir?: string;
  /** Seeds the spirals' points (the training seed leaves the data alone). */
  dataSeed: number;
}

/** What each dataset's examples look like, known before loading anything (to check a model fits). */
export const DATASET_SHAPES: Readonly<Record<DatasetName, { exampleShape: readonly number[]; classes: number }>> = {
  spirals: { exampleShape: [2], classes: 2 },
  "fashion-mnist": { exampleShape: [28, 28, 1], classes: 10 },
  mnist: { exampleShape: [28, 28, 1], classes: 10 },
  cifar10: { exampleShape: [32, 32, 3], classes: 10 },
};

/** A dataset's description for `buildModel` before its data is loaded. */
export function datasetShape(name: DatasetName): { name: string; exampleShape: readonly number[]; classNames: readonly string[] } {
  const s = DATASET_SHAPES[name];
  return { name, exampleShape: s.exampleShape, classNames: globalThis.Array.from({ length: s.classes }, (_, i) => String(i)) };
}

export const DATA_DEFAULTS = { spiralsTrain: 2000, spiralsTest: 1000, spiralsNoise: 0.05, dataSeed: 0 } as const;

export interface LoadedData {
  readonly name: DatasetName;
  readonly classNames: readonly string[];
  /** One example's shape: [2] for the spirals, [28, 28, 1] for Fashion-MNIST. */
  readonly exampleShape: readonly number[];
  readonly train: BatchSource;
  readonly test: BatchSource;
  readonly trainCount: number;
  readonly testCount: number;
  /** The valid input range (for attacks): [0, 1] for images, null for the spirals' unbounded plane. */
  readonly clip: readonly [number, number] | null;
  /** Training-time augmentation on the host (CIFAR-10: the official random crop and flip). */
  readonly augment?: (x: HostArray, k: Key) => HostArray;
}

const CIFAR10_TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
const CIFAR10_TEST_FILES = ["test_batch.bin"];

/**
 * Loads a dataset's train and test splits as host-side batch sources. A missing, truncated or malformed
 * data file is a UsageError naming it (and the byte offset, when known).
 */
export async function loadData(config: DataConfig, log: (line: string) => void = () => {}): Promise<LoadedData> {
  try {
    return await loadSplits(config, log);
  } catch (e) {
    if (e instanceof DataFileError) throw new UsageError(e.message);
    throw e;
  }
}

async function loadSplits(config: DataConfig, log: (line: string) => void): Promise<LoadedData> {
  switch (config.dataset) {
    case "spirals":
      return spiralsData(config);
    case "fashion-mnist":
    case "mnist": {
      const loader = config.dataset === "mnist" ? mnist : fashionMnist;
      const onProgress = (p: LoadProgress) => {
        if (p.stage !== "done" && p.stage !== "cache-hit") log(p.message);
      };
      const train = await loader({ split: "train", ...(config.trainLimit !== undefined ? { limit: config.trainLimit } : {}), onProgress });
      const test = await loader({ split: "test", ...(config.testLimit !== undefined ? { limit: config.testLimit } : {}), onProgress });
      return imageData(config.dataset, plainBytes(train), plainBytes(test));
    }
    case "cifar10":
      return cifar10Data(config);
  }
}

function spiralsData(config: DataConfig): LoadedData {
  const base = key(config.dataSeed);
  const options = { classes: 2, noise: config.spiralsNoise };
  const train = spiralPoints({ n: config.spiralsTrain, ...options }, foldIn(base, 0));
  const test = spiralPoints({ n: config.spiralsTest, ...options }, foldIn(base, 1));
  return {
    name: "spirals",
    classNames: ["arm 0", "arm 1"],
    exampleShape: [2],
    train,
    test,
    trainCount: config.spiralsTrain,
    testCount: config.spiralsTest,
    clip: null,
  };
}

function imageData(name: DatasetName, train: ImageDataset, test: ImageDataset, augmentTrain?: LoadedData["augment"]): LoadedData {
  return {
    name,
    classNames: train.classNames,
    exampleShape: train.imageShape,
    train,
    test,
    trainCount: train.count,
    testCount: test.count,
    clip: [0, 1],
    ...(augmentTrain ? { augment: augmentTrain } : {}),
  };
}

async function cifar10Data(config: DataConfig): Promise<LoadedData> {
  if (!config.dataDir) throw new UsageError("cifar10 needs --data-dir DIR: the folder of the CIFAR-10 binary version (data_batch_1.bin … data_batch_5.bin, test_batch.bin, from cifar-10-binary.tar.gz)");
  const dir = resolve(config.dataDir);
  const paths = (files: string[]) => files.map((f) => join(dir, f));
  for (const p of paths([...CIFAR10_TRAIN_FILES, ...CIFAR10_TEST_FILES])) {
    if (!existsSync(p)) throw new UsageError(`cifar10: missing data file ${p} (expected the CIFAR-10 binary version in ${dir})`);
  }
  const train = limitImages(await readCifar10(paths(CIFAR10_TRAIN_FILES)), config.trainLimit);
  const test = limitImages(await readCifar10(paths(CIFAR10_TEST_FILES)), config.testLimit);
  return imageData("cifar10", train, test, (x, k) => augment(x, k, AUGMENTATION_PRESETS.cifar10));
}

/**
 * The same dataset with its pixels in a plain Uint8Array. The cache reader hands out a Node Buffer,
 * and @mmx/data's gatherRows makes batches with `new pixels.constructor(n)`, which for a Buffer is
 * the deprecated `new Buffer(n)` (a DEP0005 warning on every run).
 */
function plainBytes(d: ImageDataset): ImageDataset {
  if (Object.getPrototypeOf(d.pixels) === Uint8Array.prototype) return d;
  return new ImageDataset({ name: d.name, ...(d.split ? { split: d.split } : {}), pixels: new Uint8Array(d.pixels), labels: d.labels, imageShape: d.imageShape, classNames: d.classNames });
}

function limitImages(d: ImageDataset, limit: number | undefined): ImageDataset {
  if (limit === undefined || limit >= d.count) return d;
  const row = d.imageShape.reduce((a, b) => a * b, 1);
  return new ImageDataset({ name: d.name, ...(d.split ? { split: d.split } : {}), pixels: d.pixels.slice(0, limit * row), labels: d.labels.slice(0, limit), imageShape: d.imageShape, classNames: d.classNames });
}

/**
 * Gives a batch the model's input shape: images become rows for a fully connected model
 * ([B, 28, 28, 1] -> [B, 784]). Only the shape changes, never the values.
 */
export function reshapeBatch(x: HostArray, modelInput: readonly number[]): HostArray {
  const rows = x.shape[0]!;
  const shape = [rows, ...modelInput];
  if (shape.length === x.shape.length && shape.every((d, i) => d === x.shape[i])) return x;
  return hostArray(x.data, shape, "reshapeBatch");
}

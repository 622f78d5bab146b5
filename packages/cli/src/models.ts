import * as nn from "@mmx/nn";
import type { DatasetName } from "./datasets.js";
import { listChoices, oneOf, UsageError } from "./errors.js";

export const MODELS = ["spiral-net", "mlp", "small-cnn", "preact-resnet18", "preact-resnet34", "wide-resnet-28-10"] as const;
export type ModelName = (typeof MODELS)[number];

/** The model a dataset trains when --model is not given. */
export const DEFAULT_MODEL: Readonly<Record<DatasetName, ModelName>> = {
  spirals: "spiral-net",
  "fashion-mnist": "mlp",
  mnist: "mlp",
  cifar10: "preact-resnet18",
};

export interface ModelConfig {
  model: ModelName;
  /**
   * Widths: the hidden sizes of an mlp (default 512,512; 128,128 on the spirals), the hidden width of
   * the spiral net (one number, default 128), the first stage's channels of a PreActResNet (default 64).
   */
  hidden?: number[];
}

interface ModelEntry {
  /** The example shape it takes, or null for any (the mlp flattens). */
  readonly takes: readonly number[] | null;
  readonly describe: string;
  /** The widths used when --hidden is not given; absent for models whose widths are fixed. */
  defaultWidths?(exampleShape: readonly number[]): number[];
  /** `hidden`: --hidden, or else the default widths. */
  build(exampleShape: readonly number[], classes: number, hidden: number[] | undefined): nn.Model;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

const ENTRIES: Readonly<Record<ModelName, ModelEntry>> = {
  "spiral-net": {
    takes: [2],
    describe: "2-D points",
    defaultWidths: () => [128],
    build: (_, classes, hidden) => nn.spiralNet({ classes, hidden: single(hidden!, "spiral-net") }),
  },
  mlp: {
    takes: null,
    describe: "any input (flattened)",
    defaultWidths: (shape) => (shape.length === 1 && shape[0]! <= 16 ? [128, 128] : [512, 512]),
    build: (shape, classes, hidden) => nn.mlp([size(shape), ...hidden!, classes]),
  },
  "small-cnn": {
    takes: [28, 28, 1],
    describe: "28x28x1 images",
    build: (_, classes, hidden) => {
      if (hidden) throw new UsageError("--hidden does not apply to small-cnn (its widths are fixed: 32, 64, 128)");
      return nn.smallCnn({ classes });
    },
  },
  "preact-resnet18": {
    takes: [32, 32, 3],
    describe: "32x32x3 images",
    defaultWidths: () => [64],
    build: (_, classes, hidden) => nn.preActResNet18(classes, { initialChannels: single(hidden!, "preact-resnet18") }),
  },
  "preact-resnet34": {
    takes: [32, 32, 3],
    describe: "32x32x3 images",
    defaultWidths: () => [64],
    build: (_, classes, hidden) => nn.preActResNet34(classes, { initialChannels: single(hidden!, "preact-resnet34") }),
  },
  "wide-resnet-28-10": {
    takes: [32, 32, 3],
    describe: "32x32x3 images",
    build: (_, classes, hidden) => {
      if (hidden) throw new UsageError("--hidden does not apply to wide-resnet-28-10");
      return nn.wideResNet(28, 10, { numClasses: classes });
    },
  },
};

function single(hidden: number[], model: string): number {
  if (hidden.length !== 1) throw new UsageError(`--hidden for ${model} is one width, got ${hidden.join(",")}`);
  return hidden[0]!;
}

/** The models that take examples of this shape. */
export function modelsFor(exampleShape: readonly number[]): ModelName[] {
  return MODELS.filter((m) => {
    const takes = ENTRIES[m].takes;
    return takes === null || (takes.length === exampleShape.length && takes.every((d, i) => d === exampleShape[i]));
  });
}

/**
 * Builds the named model for a dataset's examples, after checking that it fits them: the error for a
 * model that does not lists the models that do. `hidden` in the result: the widths it used (--hidden, or
 * the model's defaults), so that a run's config records them.
 */
export function buildModel(name: string, dataset: { name: string; exampleShape: readonly number[]; classNames: readonly string[] }, hidden?: number[]): { model: nn.Model; input: number[]; hidden?: number[] } {
  const m = oneOf(name, MODELS, "model");
  const entry = ENTRIES[m];
  const fits = modelsFor(dataset.exampleShape);
  if (!fits.includes(m)) {
    throw new UsageError(`model '${m}' takes ${entry.describe}, but ${dataset.name} has examples of shape [${dataset.exampleShape.join(",")}]; models for ${dataset.name}: ${listChoices(fits)}`);
  }
  if (hidden && hidden.some((h) => !(Number.isInteger(h) && h >= 1))) throw new UsageError(`--hidden must list positive whole numbers, got ${hidden.join(",")}`);
  const widths = hidden ?? entry.defaultWidths?.(dataset.exampleShape);
  const model = entry.build(dataset.exampleShape, dataset.classNames.length, widths);
  return { model, input: model.inputShape.slice(1), ...(widths ? { hidden: widths } : {}) };
}

/** What an allocation too large for one array says, in @mmx/random and in JavaScript. */
const TOO_LARGE = /more than 2\^31 - 1|Invalid typed array length|Array buffer allocation failed|Invalid array length/;

/**
 * `model.init`, with a model too large to allocate (a width such as `--hidden 100000`) reported as the
 * user's choice rather than a crash.
 */
export function initModel(model: nn.Model, k: Parameters<nn.Model["init"]>[0], input: readonly number[], hidden: readonly number[] | undefined): ReturnType<nn.Model["init"]> {
  try {
    return model.init(k, [-1, ...input]);
  } catch (e) {
    if (e instanceof RangeError && TOO_LARGE.test(e.message)) {
      throw new UsageError(`the model is too large to allocate${hidden ? ` with --hidden ${hidden.join(",")}` : ""}: ${e.message}`);
    }
    throw e;
  }
}

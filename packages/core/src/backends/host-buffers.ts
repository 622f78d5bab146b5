import * as tf from "@tensorflow/tfjs-core";
import type { DType, TypedArray } from "../dtype.js";

/**
 * Reusable host buffers for executors that write their outputs into memory they are given (onnx).
 *
 * A training step returns new parameters every step. Allocating them fresh costs megabytes of new
 * memory per step, which the garbage collector then has to find and free (measured: a tenth of an
 * MLP step on onnx). Instead, an executor takes an output buffer here, and the buffer comes back for
 * reuse once no array on tfjs's cpu backend holds it any more: the loop's previous parameters, freed
 * by the step, become the next step's outputs.
 *
 * Safety: a buffer is reused only when every tensor that held its values has been freed; reads of
 * such an array (`dataSync()`, `data()`) return copies (see DeviceArray), so no array a caller keeps
 * is overwritten later. The bookkeeping watches the cpu backend's `write`, `move` and `disposeData`,
 * the only ways values enter or leave it.
 */

const CONSTRUCTORS = { float32: Float32Array, int32: Int32Array, bool: Uint8Array } as const;

/** Buffers handed out here: reads of arrays over them return copies. */
const lent = new WeakSet<TypedArray>();
/** How many cpu-backend data entries hold each lent buffer. */
const holders = new Map<TypedArray, number>();
/** Free buffers by `dtype:length`, and as a set. */
const free = new Map<string, TypedArray[]>();
const isFree = new Set<TypedArray>();
let freeBytes = 0;
let limitBytes = 256 * 2 ** 20;
let watching: object | null = null;
const counters = { reused: 0, allocated: 0, dropped: 0 };

const keyOf = (dtype: DType, length: number) => `${dtype}:${length}`;
const dtypeOf = (b: TypedArray): DType => (b instanceof Float32Array ? "float32" : b instanceof Int32Array ? "int32" : "bool");

interface CpuDataStore {
  data: { get(id: object): { values?: unknown } | undefined; has(id: object): boolean };
  write(values: unknown, shape: number[], dtype: string): object;
  move(dataId: object, values: unknown, shape: number[], dtype: string, refCount: number): void;
  disposeData(dataId: object, force?: boolean): boolean;
}

function hold(values: unknown): void {
  if (!(ArrayBuffer.isView(values) && lent.has(values as TypedArray))) return;
  const buffer = values as TypedArray;
  // A free buffer written again (someone kept the raw values of a freed array): it is in use, not free.
  if (isFree.delete(buffer)) {
    const list = free.get(keyOf(dtypeOf(buffer), buffer.length))!;
    list.splice(list.indexOf(buffer), 1);
    freeBytes -= buffer.byteLength;
  }
  holders.set(buffer, (holders.get(buffer) ?? 0) + 1);
}

function release(values: TypedArray): void {
  const left = (holders.get(values) ?? 1) - 1;
  if (left > 0) {
    holders.set(values, left);
    return;
  }
  holders.delete(values);
  if (freeBytes + values.byteLength > limitBytes) {
    counters.dropped++;
    return; // left to the garbage collector
  }
  const key = keyOf(dtypeOf(values), values.length);
  const list = free.get(key);
  if (list) list.push(values);
  else free.set(key, [values]);
  isFree.add(values);
  freeBytes += values.byteLength;
}

/** Wraps the cpu backend's data entry points once (and again if tfjs made a new cpu backend). */
function watchCpuBackend(): void {
  const backend = tf.findBackend("cpu") as unknown as CpuDataStore | null;
  if (!backend || watching === backend) return;
  watching = backend;
  const { write, move, disposeData } = backend;
  backend.write = function (values, shape, dtype) {
    const id = write.call(this, values, shape, dtype);
    hold(values);
    return id;
  };
  backend.move = function (dataId, values, shape, dtype, refCount) {
    move.call(this, dataId, values, shape, dtype, refCount);
    hold(values);
  };
  backend.disposeData = function (dataId, force) {
    const values = this.data.get(dataId)?.values;
    const done = disposeData.call(this, dataId, force);
    if (done && !this.data.has(dataId) && ArrayBuffer.isView(values) && lent.has(values as TypedArray)) {
      // A forced dispose is tfjs moving the data to another backend, which may keep these very values
      // (webgpu uploads lazily): the buffer is left to the garbage collector, never reused.
      if (force) holders.delete(values as TypedArray);
      else release(values as TypedArray);
    }
    return done;
  };
}

/**
 * A buffer of `size` elements for an executor to write an output into: a freed one of the same dtype
 * and length when there is one, else a new one. Wrap it in an array (np.array) on the cpu backend
 * right after writing it; it returns here once every array over it is freed.
 */
export function takeHostBuffer(dtype: DType, size: number): TypedArray {
  watchCpuBackend();
  const list = free.get(keyOf(dtype, size));
  const reused = list?.pop();
  if (reused) {
    isFree.delete(reused);
    freeBytes -= reused.byteLength;
    counters.reused++;
    return reused;
  }
  counters.allocated++;
  const buffer = new CONSTRUCTORS[dtype](size);
  lent.add(buffer);
  return buffer;
}

/** Whether `values` is a buffer from takeHostBuffer (reads of arrays over it must copy). */
export function isReusedHostBuffer(values: unknown): boolean {
  return ArrayBuffer.isView(values) && lent.has(values as TypedArray);
}

export interface HostBufferStats {
  /** Buffers handed out again after their arrays were freed. */
  readonly reused: number;
  /** Buffers allocated because no freed one fitted. */
  readonly allocated: number;
  /** Freed buffers not kept because the pool was at its limit. */
  readonly dropped: number;
  /** Bytes held by free buffers now. */
  readonly freeBytes: number;
  readonly limitBytes: number;
}

export function hostBufferStats(): HostBufferStats {
  return { ...counters, freeBytes, limitBytes };
}

/**
 * Caps the bytes of freed buffers kept for reuse (default 256 MiB; 0 keeps none, so every output is
 * freshly allocated). Lowering it drops free buffers now.
 */
export function setHostBufferLimit(bytes: number): void {
  if (!(Number.isFinite(bytes) && bytes >= 0)) throw new RangeError(`setHostBufferLimit: bytes must be a finite number >= 0, got ${bytes}`);
  limitBytes = bytes;
  for (const [key, list] of free) {
    while (list.length && freeBytes > limitBytes) {
      const dropped = list.pop()!;
      isFree.delete(dropped);
      freeBytes -= dropped.byteLength;
    }
    if (!list.length) free.delete(key);
  }
}

import * as tf from "@tensorflow/tfjs-core";
import { Array } from "./array.js";
import { ShapedArray } from "./aval.js";
import type { DType, TypedArray } from "./dtype.js";
import { syncReadBlocked, syncReadError, tensorBackendName } from "./backends/sync-read.js";
import { isReusedHostBuffer } from "./backends/host-buffers.js";

/**
 * A concrete array: a tfjs tensor on the current backend. Executors read `tensor`; user code should
 * not need it (the IR and the transforms never see it).
 */
export class DeviceArray extends Array {
  readonly aval: ShapedArray;
  constructor(readonly tensor: tf.Tensor) {
    super();
    this.aval = new ShapedArray(tensor.shape, tensor.dtype as DType);
  }

  get isDisposed(): boolean {
    return this.tensor.isDisposed;
  }

  data(): Promise<TypedArray> {
    this.assertLive("data()");
    return (this.tensor.data() as Promise<TypedArray>).then(ownCopy);
  }
  /** Throws a SyncReadUnavailableError on a backend that can only read asynchronously here (webgpu in Node). */
  dataSync(): TypedArray {
    this.assertLive("dataSync()");
    this.assertSyncReadable("dataSync()");
    return ownCopy(this.tensor.dataSync() as TypedArray);
  }
  override item(): number {
    this.assertLive("item()");
    this.assertSyncReadable("item()");
    return super.item();
  }
  dispose(): void {
    this.tensor.dispose();
  }
  override toString(): string {
    if (this.isDisposed) return `Array(${this.aval}, disposed)`;
    const backend = tensorBackendName(this.tensor);
    if (syncReadBlocked(backend)) return `Array(${this.aval}, on ${backend}: await data() to read)`;
    const values = this.size <= 12 ? `[${[...this.dataSync()].join(", ")}]` : "…";
    return `Array(${this.aval}, ${values})`;
  }

  private assertSyncReadable(what: string): void {
    const backend = tensorBackendName(this.tensor);
    if (syncReadBlocked(backend)) throw syncReadError(what, String(this.aval), backend);
  }

  private assertLive(what: string): void {
    if (this.tensor.isDisposed) {
      throw new Error(`${what}: this ${this.aval} array was disposed (by dispose() or at the end of the tidy() that made it)`);
    }
  }
}

/**
 * tfjs's cpu backend hands out the values it holds. An executor's output buffer is reused once its
 * arrays are freed (backends/host-buffers.ts), so readers get a copy of those: what they keep stays theirs.
 */
function ownCopy(values: TypedArray): TypedArray {
  return isReusedHostBuffer(values) ? values.slice() : values;
}

/**
 * Whether `dataSync()` and `item()` work: on `x` (a concrete, live array, wherever its data lives), or without an
 * argument on the current backend. False on webgpu in Node (read there with `await x.data()`) and for tracers.
 */
export function canReadSync(x?: Array): boolean {
  if (x === undefined) return !syncReadBlocked(tf.getBackend());
  if (!(x instanceof DeviceArray) || x.isDisposed) return false;
  return !syncReadBlocked(tensorBackendName(x.tensor));
}

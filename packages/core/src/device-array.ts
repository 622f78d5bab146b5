import * as tf from "@tensorflow/tfjs-core";
import { Array } from "./array.js";
import { ShapedArray } from "./aval.js";
import { getEagerBackend } from "./backend.js";
import type { DType, TypedArray } from "./dtype.js";
import { syncReadBlocked, syncReadError, tensorBackendName, tensorOnHost } from "./backends/sync-read.js";
import { isReusedHostBuffer } from "./backends/host-buffers.js";
import { FreedArrayError, type FreedBy } from "./freed.js";

/**
 * Arrays are freed when they become unreachable: the registry holds each array's tensor (never the array) and
 * disposes it once the garbage collector has taken the array. Each array owns its tensor alone (see the
 * constructor), so this can never free a tensor that another live array uses; arrays that share data (a reshape
 * of another) hold separate tensors over it, and tfjs frees the data with the last of them.
 */
const unreachable = new FinalizationRegistry<tf.Tensor>((tensor) => {
  try {
    if (!tensor.isDisposed) tensor.dispose();
  } catch {
    // Its backend is gone (tf.removeBackend): so is its memory.
  }
});

/** Tensors some array owns: wrapping one again takes a clone (sharing its data) instead. */
const owned = new WeakSet<tf.Tensor>();

/** Called with every new array while a tidy() scope is open (memory.ts), to name that tidy if it frees the array. */
let onCreate: ((a: DeviceArray) => void) | null = null;
export function setArrayCreationHook(hook: ((a: DeviceArray) => void) | null): ((a: DeviceArray) => void) | null {
  const previous = onCreate;
  onCreate = hook;
  return previous;
}

/**
 * A concrete array: a tfjs tensor on the current backend. Executors read `tensor`; user code should
 * not need it (the IR and the transforms never see it).
 */
export class DeviceArray extends Array {
  readonly aval: ShapedArray;
  readonly tensor: tf.Tensor;
  private freedBy: FreedBy | undefined;

  constructor(tensor: tf.Tensor) {
    super();
    // Two arrays over one tensor object would let either free it under the other.
    this.tensor = owned.has(tensor) ? tf.clone(tensor) : tensor;
    owned.add(this.tensor);
    this.aval = new ShapedArray(tensor.shape, tensor.dtype as DType);
    unreachable.register(this, this.tensor, this);
    onCreate?.(this);
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
  /**
   * The values as they lie in host memory, not copied: for an executor that hands them to another runtime as
   * inputs. Read-only, and valid only while this array is alive (a reused output buffer is rewritten after).
   */
  hostData(): TypedArray {
    this.assertLive("hostData()");
    this.assertSyncReadable("hostData()");
    return this.tensor.dataSync() as TypedArray;
  }

  /**
   * Another array over the same data (nothing is copied) that no enclosing tidy frees: how a cache keeps the
   * constants a trace closed over, whoever owns the originals.
   */
  share(): DeviceArray {
    return new DeviceArray(tf.keep(tf.clone(this.liveTensor("share()"))));
  }

  /** Frees the memory now (it is freed anyway once the array is unreachable); a later use throws, naming this call. */
  dispose(): void {
    this.free("dispose()", new Error());
  }

  /** Frees the memory now, recording who did it for the error a later use throws. Freeing twice does nothing. */
  free(by: string, site: Error): void {
    if (this.tensor.isDisposed) return;
    this.freedBy = { by, site };
    unreachable.unregister(this);
    this.tensor.dispose();
  }

  /** Records who freed the tensor when something else disposed it (a tidy's scope), unless that is known already. */
  noteFreed(by: string, site: Error): void {
    if (this.tensor.isDisposed && !this.freedBy) {
      this.freedBy = { by, site };
      unreachable.unregister(this);
    }
  }

  /** The tensor, or a FreedArrayError naming this array and who freed it. */
  liveTensor(what: string): tf.Tensor {
    this.assertLive(what);
    return this.tensor;
  }
  override toString(): string {
    if (this.isDisposed) return `Array(${this.aval}, freed)`;
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
    if (this.tensor.isDisposed) throw new FreedArrayError(what, String(this.aval), this.freedBy);
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
/**
 * Whether `x`'s data lives in host memory (the cpu and wasm backends, and onnx's eager arrays): checks that read
 * values back on every step (labels) do so only there, since a synchronous read from a GPU stalls it.
 */
export function isHostResident(x: Array): boolean {
  return x instanceof DeviceArray && !x.isDisposed && tensorOnHost(x.tensor);
}

export function canReadSync(x?: Array): boolean {
  if (x === undefined) return !syncReadBlocked(getEagerBackend());
  if (!(x instanceof DeviceArray) || x.isDisposed) return false;
  return !syncReadBlocked(tensorBackendName(x.tensor));
}

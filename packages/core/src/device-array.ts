import type * as tf from "@tensorflow/tfjs-core";
import { Array } from "./array.js";
import { ShapedArray } from "./aval.js";
import type { DType, TypedArray } from "./dtype.js";

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
    return this.tensor.data() as Promise<TypedArray>;
  }
  dataSync(): TypedArray {
    this.assertLive("dataSync()");
    return this.tensor.dataSync() as TypedArray;
  }
  dispose(): void {
    this.tensor.dispose();
  }
  override toString(): string {
    if (this.isDisposed) return `Array(${this.aval}, disposed)`;
    const values = this.size <= 12 ? `[${[...this.dataSync()].join(", ")}]` : "…";
    return `Array(${this.aval}, ${values})`;
  }

  private assertLive(what: string): void {
    if (this.tensor.isDisposed) {
      throw new Error(`${what}: this ${this.aval} array was disposed (by dispose() or at the end of the tidy() that made it)`);
    }
  }
}

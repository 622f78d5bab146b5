import { ShapedArray } from "./aval.js";
import type { DType, TypedArray } from "./dtype.js";

/**
 * An immutable n-dimensional array: concrete (`DeviceArray`, backed by a tfjs tensor) or traced (a
 * `Tracer` standing for a value while a function is transformed). User code types its arrays as
 * `NDArray` and works unchanged under `grad`, `jit` and the other transforms, as `jax.Array` does.
 * (`Array` is the same class under JAX's name; importing it shadows JavaScript's global `Array`.)
 */
export abstract class NDArray {
  abstract readonly aval: ShapedArray;

  get shape(): readonly number[] {
    return this.aval.shape;
  }
  get dtype(): DType {
    return this.aval.dtype;
  }
  get ndim(): number {
    return this.aval.ndim;
  }
  get size(): number {
    return this.aval.size;
  }

  /** The values, in row-major order. Only a concrete array has them. */
  abstract data(): Promise<TypedArray>;
  /** The values, read synchronously (blocks on GPU backends; prefer `await data()` there). */
  abstract dataSync(): TypedArray;
  /** The value of a one-element array as a number. */
  item(): number {
    if (this.size !== 1) throw new TypeError(`item(): only one-element arrays have an item, got ${this.aval}`);
    return Number(this.dataSync()[0]);
  }
  /** Frees the backing memory now rather than when the array becomes unreachable (or its `tidy` ends). */
  abstract dispose(): void;
}

// console.log (Node's util.inspect) shows an array as its toString, `Array(f32[2], [1, 2])`, not its tensor's fields.
// Set on the prototype: a symbol from Symbol.for cannot name a method in the published declarations.
Object.defineProperty(NDArray.prototype, Symbol.for("nodejs.util.inspect.custom"), {
  value(this: NDArray): string {
    return this.toString();
  },
});

export { NDArray as Array };

/**
 * A scalar constant written in the program (`mul x 2.0`): what a JS number becomes when it meets an
 * array. It takes the dtype of the array it meets, as JAX's weakly typed Python scalars do.
 */
export class Literal {
  readonly aval: ShapedArray;
  constructor(
    readonly value: number,
    dtype: DType,
  ) {
    this.aval = new ShapedArray([], dtype);
  }
  toString(): string {
    if (this.aval.dtype === "bool") return this.value ? "True" : "False";
    if (this.aval.dtype === "int32") return String(this.value);
    return Number.isInteger(this.value) ? this.value.toFixed(1) : String(this.value);
  }
}

/** What a primitive takes: arrays (concrete or traced) and scalar literals. */
export type Operand = NDArray | Literal;

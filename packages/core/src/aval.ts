import { DTYPE_SHORT, type DType } from "./dtype.js";
import { shapeSize, shapeEqual, type Shape } from "./shape.js";

/** The abstract value of an array: what tracing knows about it (shape and dtype, no data). */
export class ShapedArray {
  readonly shape: readonly number[];
  constructor(shape: Shape, readonly dtype: DType) {
    this.shape = Object.freeze([...shape]);
  }
  get ndim(): number {
    return this.shape.length;
  }
  get size(): number {
    return shapeSize(this.shape);
  }
  equals(other: ShapedArray): boolean {
    return this.dtype === other.dtype && shapeEqual(this.shape, other.shape);
  }
  /** `f32[4,3]`, as JAX prints it. */
  toString(): string {
    return `${DTYPE_SHORT[this.dtype]}[${this.shape.join(",")}]`;
  }
}

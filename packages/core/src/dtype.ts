/** The element types mmx arrays carry. tfjs has no uint32, float16 or float64, so neither do we. */
export type DType = "float32" | "int32" | "bool";

export const DTYPES: readonly DType[] = ["float32", "int32", "bool"];

/** Short names used in printed jaxprs, as in JAX (`f32[4,3]`). */
export const DTYPE_SHORT: Readonly<Record<DType, string>> = { float32: "f32", int32: "i32", bool: "bool" };

export type TypedArrayFor<D extends DType> = D extends "float32" ? Float32Array : D extends "int32" ? Int32Array : Uint8Array;
export type TypedArray = Float32Array | Int32Array | Uint8Array;

export function isFloat(dtype: DType): boolean {
  return dtype === "float32";
}

export function assertDType(dtype: unknown, what: string): asserts dtype is DType {
  if (!DTYPES.includes(dtype as DType)) {
    throw new TypeError(`${what}: unknown dtype ${JSON.stringify(dtype)}; expected one of ${DTYPES.join(", ")}`);
  }
}

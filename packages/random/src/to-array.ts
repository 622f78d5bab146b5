import { np, type Array } from "@mmx/core";

/** Wraps host-made draws as an mmx array (a concrete DeviceArray; freed like any other array). */
export function toArray(values: Float32Array | Int32Array | Uint8Array, shape: readonly number[], dtype: "float32" | "int32" | "bool"): Array {
  return np.array(values, { shape: [...shape], dtype });
}

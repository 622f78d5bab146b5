import * as tf from "@tensorflow/tfjs-core";
import type { DType } from "../dtype.js";
import { registerLowerings, tfjsLowerings } from "./tfjs.js";

/**
 * tfjs-cpu 4.22 casts without loss of information (int32 or bool to float32, bool to int32) by relabelling the
 * input's data: the result says float32 but holds the Int32Array (or Uint8Array) it came from. Readers that trust
 * the dtype then misread it: onnx feeds the cpu backend's arrays to onnxruntime as they are, and rejects the
 * array. These casts copy into an array of the target's class instead. (onnx runs its eager operations here.)
 */
const CLASS_OF: Readonly<Record<DType, typeof Float32Array | typeof Int32Array | typeof Uint8Array>> = { float32: Float32Array, int32: Int32Array, bool: Uint8Array };

/** `x` cast to `dtype`, holding data of `dtype`'s typed-array class. */
export function castWithOwnData(x: tf.Tensor, dtype: DType): tf.Tensor {
  const cast = tf.cast(x, dtype);
  const held = cast.dataSync();
  if (held instanceof CLASS_OF[dtype]) return cast;
  return tf.tensor(CLASS_OF[dtype].from(held as ArrayLike<number>), cast.shape, dtype);
}

registerLowerings("cpu", {
  convert_element_type: ([x], { dtype }) => castWithOwnData(x!, dtype),
  one_hot: (inputs, params) => {
    const made = tfjsLowerings.one_hot(inputs, params);
    return made.dtype === "float32" && !(made.dataSync() instanceof Float32Array) ? castWithOwnData(made, "float32") : made;
  },
});

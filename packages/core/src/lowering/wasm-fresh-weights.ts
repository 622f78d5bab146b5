import * as tf from "@tensorflow/tfjs-core";
import { transposeMatrix } from "./wasm.js";

/**
 * x·W + b on tfjs-wasm when W is new on every call, as a training step's weights are.
 *
 * XNNPACK packs the right operand of a matmul into its own layout and keeps that packing per tensor:
 * a repeated W (inference, the matmul peak) is packed once, a fresh one on every call, and packing
 * costs several times what moving an element costs elsewhere. When W has many more elements than x
 * and its rows are cheap to transpose (see transposeMatrix), the product taken the other way round,
 * (Wᵀ·xᵀ)ᵀ, packs only xᵀ and costs less: the first layer of a 784-512 MLP at batch 128.
 *
 * Both forms give the same float32 values (XNNPACK sums each output over the contraction in the same
 * order either way; tested), which tfjs's fused bias would not (it starts each sum from the bias), so
 * the bias is added after the product in both. The form is chosen per call: the direct one when W
 * is the tensor the previous call read (XNNPACK then packs it once and keeps it), the swapped one
 * otherwise.
 */

/** Relative costs per element on wasm: packing a fresh right operand, transposing (see transposeMatrix), adding. */
const PACK = 7;
const TRANSPOSE = 1;
const TRANSPOSE_COLLIDING = 2.5;
const ADD = 1;
/** Swap only where the model predicts a clear gain (784x512 weights at batch 128 gain, 512x512 do not: measured). */
const SWAP_BELOW = 0.7;

const transposeCost = (rows: number, cols: number) => rows * cols * (rows % 128 === 0 ? TRANSPOSE_COLLIDING : TRANSPOSE);

/** Whether x [m, k] · W [k, n] with a fresh W costs clearly less taken the other way round. */
export function swapPaysForFreshWeights(m: number, k: number, n: number): boolean {
  const direct = PACK * k * n;
  const swapped = transposeCost(k, n) + transposeCost(m, k) + PACK * m * k + transposeCost(n, m) + ADD * m * n;
  return swapped < SWAP_BELOW * direct;
}

/** A kernel body computing x·W + b (2-D x and W, b over the last axis) as described above; one per kernel, as it remembers the last W. */
export function matmulBiasForFreshWeights(): (inputs: tf.Tensor[]) => tf.Tensor {
  let lastWeights: WeakRef<object> | undefined;
  return ([x, w, bias]) => {
    const packed = lastWeights?.deref() === w!.dataId;
    lastWeights = new WeakRef(w!.dataId);
    const product = packed ? tf.matMul(x!, w!) : transposeMatrix(tf.matMul(transposeMatrix(w!), transposeMatrix(x!)));
    return tf.add(product, bias!);
  };
}

import { np } from "@mmx/core";
import { defineLeaf, shapeError } from "../define.js";
import type { Layer } from "../layer.js";

/**
 * Flattens every axis after the batch: [N, H, W, C] -> [N, H*W*C]. On NHWC inputs the order is
 * H, W, C (PyTorch's flatten of NCHW gives C, H, W: the same count, other positions).
 */
export const flatten: Layer = defineLeaf({
  kind: "flatten",
  spec(inputShape) {
    if (inputShape.length < 1) throw shapeError("flatten", "[N,...]", inputShape, "needs a batch axis");
    return { params: {}, state: {}, outputShape: [inputShape[0]!, inputShape.slice(1).reduce((n, d) => n * d, 1)] };
  },
  forward: (_p, x) => np.reshape(x, [x.shape[0]!, x.shape.slice(1).reduce((n, d) => n * d, 1)]),
});

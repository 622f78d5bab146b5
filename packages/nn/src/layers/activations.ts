import { lax, np, type Array } from "@mmx/core";
import { defineLeaf } from "../define.js";
import type { Layer } from "../layer.js";

function elementwise(kind: string, fn: (x: Array) => Array): Layer {
  return defineLeaf({
    kind,
    spec: (inputShape) => ({ params: {}, state: {}, outputShape: [...inputShape] }),
    forward: (_p, x) => fn(x),
  });
}

/** max(x, 0), with gradient 0 at 0 (as PyTorch): the relu primitive, which keeps NaN. */
export const reluFn = (x: Array): Array => lax.relu(x);
/** x for x > 0, slope * x otherwise. */
export const leakyReluFn = (x: Array, slope = 0.01): Array => np.where(np.greater(x, 0), x, np.mul(x, slope));
/** The exact GELU, x * Φ(x) = x/2 * (1 + erf(x / sqrt 2)) (PyTorch's default, not the tanh approximation). */
export const geluFn = (x: Array): Array => np.mul(np.mul(x, 0.5), np.add(np.erf(np.mul(x, Math.SQRT1_2)), 1));

export const relu: Layer = elementwise("relu", reluFn);
export const tanh: Layer = elementwise("tanh", (x) => np.tanh(x));
export const gelu: Layer = elementwise("gelu", geluFn);

/** Leaky ReLU with the given negative slope (default 0.01, as PyTorch). */
export function leakyRelu(negativeSlope = 0.01): Layer {
  if (!Number.isFinite(negativeSlope)) throw new RangeError(`leakyRelu: the negative slope must be a finite number, got ${negativeSlope}`);
  return elementwise("leakyRelu", (x) => leakyReluFn(x, negativeSlope));
}

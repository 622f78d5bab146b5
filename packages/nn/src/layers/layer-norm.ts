import { np, type Array } from "@mmx/core";
import { defineLeaf, shapeError } from "../define.js";
import type { Layer } from "../layer.js";
import { constant } from "../initializers.js";
import { leafShape } from "./like.js";

export interface LayerNormOptions {
  /** How many trailing axes are normalised together (default 1, the last). */
  axes?: number;
  /** Added to the variance (default 1e-5, as PyTorch). */
  eps?: number;
  /** Learn an elementwise weight and bias over the normalised axes (default true). */
  affine?: boolean;
  name?: string;
}

/**
 * Layer normalisation over the trailing `axes` axes of each example (PyTorch's LayerNorm with
 * normalized_shape = those axes): biased variance, weight 1 and bias 0 of the normalised shape.
 */
export function layerNorm(opts: LayerNormOptions = {}): Layer {
  const k = opts.axes ?? 1;
  const eps = opts.eps ?? 1e-5;
  const affine = opts.affine ?? true;
  if (!(Number.isInteger(k) && k >= 1)) throw new RangeError(`layerNorm: axes must be a positive integer, got ${k}`);
  if (!(eps > 0)) throw new RangeError(`layerNorm: eps must be positive, got ${eps}`);
  return defineLeaf({
    kind: "layerNorm",
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    hasParams: affine,
    spec(inputShape, like) {
      const normalized = leafShape(like, "weight") ?? inputShape.slice(-k);
      const tail = inputShape.slice(-k);
      if (inputShape.length < k || normalized.length !== k || tail.some((d, i) => d !== normalized[i])) {
        throw shapeError("layerNorm", `[...,${normalized.join(",")}]`, inputShape, `normalises the last ${k} axes`);
      }
      return {
        params: affine ? { weight: constant(normalized, 1), bias: constant(normalized, 0) } : {},
        state: {},
        outputShape: [...inputShape],
      };
    },
    forward(p: { weight?: Array; bias?: Array }, x) {
      const axes = globalThis.Array.from({ length: k }, (_, i) => x.ndim - k + i);
      const mean = np.mean(x, { axis: axes, keepdims: true });
      const centred = np.sub(x, mean);
      const variance = np.mean(np.square(centred), { axis: axes, keepdims: true });
      const y = np.mul(centred, np.rsqrt(np.add(variance, eps)));
      return p.weight && p.bias ? np.add(np.mul(y, p.weight), p.bias) : y;
    },
  });
}

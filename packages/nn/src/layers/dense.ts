import { np, type Array } from "@mmx/core";
import { defineLeaf, shapeError } from "../define.js";
import type { Layer, Shape, Tree } from "../layer.js";
import { torchUniform } from "../initializers.js";
import { leafShape } from "./like.js";

export interface DenseOptions {
  /** Adds a bias (default true). */
  bias?: boolean;
  name?: string;
}

/**
 * A fully connected layer, `x @ weight + bias` over the last axis (any leading axes). The weight is
 * [in, out] (PyTorch's Linear stores [out, in]). Initialised as PyTorch's Linear.
 *
 * `dense(out)` takes the input size from the input; `dense(in, out)` also checks it.
 */
export function dense(outFeatures: number, opts?: DenseOptions): Layer;
export function dense(inFeatures: number, outFeatures: number, opts?: DenseOptions): Layer;
export function dense(a: number, b?: number | DenseOptions, c?: DenseOptions): Layer {
  const declaredIn = typeof b === "number" ? a : undefined;
  const out = typeof b === "number" ? b : a;
  const opts = (typeof b === "number" ? c : b) ?? {};
  for (const [what, v] of [["output size", out], ["input size", declaredIn]] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new RangeError(`dense: the ${what} must be a positive integer, got ${v}`);
  }
  const bias = opts.bias ?? true;
  const inFeatures = (inputShape: Shape, like?: Tree) => declaredIn ?? leafShape(like, "weight")?.[0] ?? inputShape[inputShape.length - 1]!;
  return defineLeaf({
    kind: "dense",
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    hasParams: true,
    spec(inputShape, like) {
      const n = inFeatures(inputShape, like);
      if (inputShape.length < 1 || inputShape[inputShape.length - 1] !== n) {
        throw shapeError("dense", `[...,${n}]`, inputShape, `${n} input features`);
      }
      return {
        params: bias ? { weight: torchUniform([n, out], n), bias: torchUniform([out], n) } : { weight: torchUniform([n, out], n) },
        state: {},
        outputShape: [...inputShape.slice(0, -1), out],
      };
    },
    forward(p: { weight: Array; bias?: Array }, x) {
      const flat = x.ndim === 2 ? x : np.reshape(x, [-1, x.shape[x.ndim - 1]!]);
      let y = np.matmul(flat, p.weight);
      if (p.bias) y = np.add(y, p.bias);
      return x.ndim === 2 ? y : np.reshape(y, [...x.shape.slice(0, -1), out]);
    },
  });
}

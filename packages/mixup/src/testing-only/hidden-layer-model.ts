import { np, ShapedArray, tag, type Array } from "@mmx/core";

/**
 * The smallest model with an inner boundary, and the abstract shapes to trace it at: x [5, 3] -> tanh layer,
 * tagged "hidden", [5, 4] -> [5, 2]. Shared by the suites that print or check its rewritten program.
 */
export type Params = { w1: Array; w2: Array };

/** A plain model function; nothing in it knows about mixup. */
export const model = (p: Params, x: Array) => np.matmul(tag(np.tanh(np.matmul(x, p.w1)), "hidden"), p.w2);

export const P = { w1: new ShapedArray([3, 4], "float32"), w2: new ShapedArray([4, 2], "float32") };
export const X = new ShapedArray([5, 3], "float32");
export const Y = new ShapedArray([5, 2], "float32");
export const PERM = new ShapedArray([5], "int32");

import { block, sequential } from "../combinators/sequential.js";
import { relu } from "../layers/activations.js";
import { dense } from "../layers/dense.js";
import { asModel, type Model } from "./model.js";

/**
 * A fully connected network: `mlp([784, 512, 512, 10])` is hidden1 = dense 784->512 + ReLU,
 * hidden2 = dense 512->512 + ReLU, out = dense 512->10. Boundaries: hidden1, hidden2 (after each
 * ReLU), out. Mixing set: the input and every hidden block (indices 0, 1, ..., sizes.length - 2).
 */
export function mlp(sizes: readonly number[]): Model {
  if (!globalThis.Array.isArray(sizes) || sizes.length < 2 || !sizes.every((n) => Number.isInteger(n) && n >= 1)) {
    throw new RangeError(`mlp: sizes must list at least an input and an output size (positive integers), got ${JSON.stringify(sizes)}`);
  }
  const children: Record<string, ReturnType<typeof dense>> = {};
  const hidden: string[] = [];
  for (let i = 1; i < sizes.length - 1; i++) {
    children[`hidden${i}`] = block({ linear: dense(sizes[i - 1]!, sizes[i]!), relu });
    hidden.push(`hidden${i}`);
  }
  children.out = dense(sizes[sizes.length - 2]!, sizes[sizes.length - 1]!);
  const inputShape = [-1, sizes[0]!];
  return asModel(sequential(children, { inputShape, kind: "mlp" }), inputShape, ["input", ...hidden]);
}

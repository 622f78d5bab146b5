import { block, sequential } from "../combinators/sequential.js";
import { relu } from "../layers/activations.js";
import { conv2d } from "../layers/conv2d.js";
import { dense } from "../layers/dense.js";
import { flatten } from "../layers/flatten.js";
import { maxPool } from "../layers/pool.js";
import { asModel, type Model } from "./model.js";

/**
 * A small CNN for [N, 28, 28, 1] images (MNIST, Fashion-MNIST): block1 = conv 3x3 32 (pad 1) + ReLU +
 * max-pool 2, block2 = conv 3x3 64 (pad 1) + ReLU + max-pool 2, hidden = flatten + dense 3136->128 +
 * ReLU, out = dense 128->classes. Boundaries: block1, block2, hidden, out. Mixing set: input, block1,
 * block2.
 */
export function smallCnn(opts: { classes?: number } = {}): Model {
  const classes = opts.classes ?? 10;
  const inputShape = [-1, 28, 28, 1];
  const convBlock = (cin: number, cout: number) => block({ conv: conv2d(cout, 3, { padding: 1, inChannels: cin }), relu, pool: maxPool(2) });
  const seq = sequential(
    {
      block1: convBlock(1, 32),
      block2: convBlock(32, 64),
      hidden: block({ flatten, linear: dense(7 * 7 * 64, 128), relu }),
      out: dense(128, classes),
    },
    { inputShape, kind: "smallCnn" },
  );
  return asModel(seq, inputShape, ["input", "block1", "block2"]);
}

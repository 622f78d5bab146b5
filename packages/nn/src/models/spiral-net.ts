import { block, sequential } from "../combinators/sequential.js";
import { relu } from "../layers/activations.js";
import { dense } from "../layers/dense.js";
import { asModel, type Model } from "./model.js";

/**
 * The network of the paper's Figure 1 for 2-D spirals: hidden1 = dense 2->h + ReLU, hidden2 = dense
 * h->h + ReLU, bottleneck = dense h->2 (linear: the 2-D representation that the figure plots),
 * hidden3 = dense 2->h + ReLU, hidden4 = dense h->h + ReLU, out = dense h->classes. Mixing set: the
 * input and every representation up to the bottleneck.
 */
export function spiralNet(opts: { classes?: number; hidden?: number } = {}): Model {
  const classes = opts.classes ?? 2;
  const h = opts.hidden ?? 128;
  const inputShape = [-1, 2];
  const seq = sequential(
    {
      hidden1: block({ linear: dense(2, h), relu }),
      hidden2: block({ linear: dense(h, h), relu }),
      bottleneck: dense(h, 2),
      hidden3: block({ linear: dense(2, h), relu }),
      hidden4: block({ linear: dense(h, h), relu }),
      out: dense(h, classes),
    },
    { inputShape, kind: "spiralNet" },
  );
  return asModel(seq, inputShape, ["input", "hidden1", "hidden2", "bottleneck"]);
}

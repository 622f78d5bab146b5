import { dispose, np, type Array, type PyTree } from "@mmx/core";
import { batches } from "@mmx/data";
import { bceSoftmax, softCrossEntropy } from "@mmx/losses";
import { largestHessianEigenvalue, type HessianEigen } from "@mmx/metrics";
import type * as nn from "@mmx/nn";
import { key } from "@mmx/random";
import type { OpenedRun } from "./open-run.js";
import { reshapeBatch } from "./datasets.js";

export interface Flatness extends HessianEigen {
  /** The training examples the loss was taken on: the first N of the training split. */
  examples: number;
}

/**
 * `mmx eval --flatness`: the sharpness of a saved run's training loss (its own loss, on clean targets, the model
 * in evaluation mode) at its params: the Hessian's eigenvalue of largest magnitude on the first `examples`
 * training examples, by power iteration on Hessian-vector products (`largestHessianEigenvalue`).
 */
export function flatnessOf(run: OpenedRun, examples: number, iters = 100): Flatness {
  const lossOf = run.config.loss === "bce" ? bceSoftmax : softCrossEntropy;
  const first = batches(run.data.train, { batchSize: Math.min(examples, run.data.trainCount), shuffle: false, transform: (x) => reshapeBatch(x, run.input), key: key(0) /* unused: no shuffle */ }).next().value!;
  const classes = run.data.classNames.length;
  const loss = (p: PyTree, x: Array, y: Array) => lossOf(run.model.apply(p as nn.ParamTree, x, { train: false, state: run.modelState }).out, np.oneHot(y, classes));
  try {
    return { ...largestHessianEigenvalue(loss, run.params, { args: [first.x, first.y], iters, tol: 1e-4 }), examples: first.x.shape[0]! };
  } finally {
    dispose([first.x, first.y]);
  }
}

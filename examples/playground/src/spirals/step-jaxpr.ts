import { dispose, grad, makeJaxpr, np, type Array, type ClosedJaxpr, type PyTree } from "@mmx/core";
import { bceSoftmax } from "@mmx/losses";
import { mixup } from "@mmx/mixup";
import type { Model, ParamTree } from "@mmx/nn";
import { applyUpdates, cosine, sgd, type SgdState } from "@mmx/optim";

export type StepView = "forward" | "step";

/**
 * The program of one training step with mixing at boundary `layer`, and the same step without mixing, as jaxprs:
 * `forward` is the loss alone, `step` adds its gradient and the SGD update. Traced with the given params' shapes;
 * nothing runs.
 */
export function stepJaxprs(model: Model, params: PyTree, layer: number, opts: { batch: number; perExample: boolean; view: StepView; lr?: number; steps?: number }): { clean: ClosedJaxpr; mixed: ClosedJaxpr } {
  const { batch, perExample, view } = opts;
  const forward = (p: PyTree, x: Array) => model.apply(p as ParamTree, x).out;
  const cleanLoss = (p: PyTree, x: Array, y: Array) => bceSoftmax(forward(p, x), np.oneHot(y, 2));
  const mixedLoss = (p: PyTree, x: Array, y: Array, perm: Array, lambda: Array) => {
    const r = mixup(layer, lambda)(forward)(p, x, y, perm);
    return bceSoftmax(r.out, r.targets);
  };
  const { lr = 0.05, steps = 1000 } = opts;
  // The optimizer the playground trains with: SGD, Nesterov momentum, a cosine-annealed learning rate.
  const optimizer = sgd({ lr: cosine({ base: lr, steps, final: lr / 50 }), momentum: 0.9, nesterov: true, weightDecay: 1e-4 });
  const x = np.zeros([batch, 2]);
  const y = np.zeros([batch], "int32");
  const perm = np.arange(batch);
  const lambda = perExample ? np.full([batch], 0.5) : np.full([], 0.5);
  const opt = optimizer.init(params);
  try {
    if (view === "forward") {
      return { clean: makeJaxpr(cleanLoss)(params, x, y), mixed: makeJaxpr(mixedLoss)(params, x, y, perm, lambda) };
    }
    const update = (p: PyTree, o: SgdState, grads: PyTree) => {
      const { updates, state } = optimizer.update(grads, o, p);
      return { params: applyUpdates(p, updates), state };
    };
    const cleanStep = (p: PyTree, o: SgdState, x: Array, y: Array) => update(p, o, grad((q: PyTree) => cleanLoss(q, x, y))(p));
    const mixedStep = (p: PyTree, o: SgdState, x: Array, y: Array, perm: Array, lambda: Array) => update(p, o, grad((q: PyTree) => mixedLoss(q, x, y, perm, lambda))(p));
    return { clean: makeJaxpr(cleanStep)(params, opt, x, y), mixed: makeJaxpr(mixedStep)(params, opt, x, y, perm, lambda) };
  } finally {
    dispose([x, y, perm, lambda, opt]);
  }
}

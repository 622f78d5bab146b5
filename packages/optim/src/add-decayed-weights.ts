import { np, tree } from "@mmx/core";
import type { EmptyState, GradientTransformation } from "./transform.js";
import { nonNegative } from "./checks.js";
import { matchingLeaves, paramLeaves, scoped } from "./trees.js";

/**
 * `updates + weightDecay · params`. Where it sits in a chain decides its kind: before the moments
 * (`chain(addDecayedWeights(wd), traceMomentum(...), scaleByLearningRate(lr))`) it is an L2 term in
 * the gradient, as `weight_decay` of torch's SGD and Adam; after them and before the rate it is
 * decoupled decay, `p ← p - lr·wd·p`, as torch's AdamW. `what` names it in error messages.
 */
export function addDecayedWeights(weightDecay: number, what = "addDecayedWeights"): GradientTransformation<EmptyState> {
  nonNegative(weightDecay, "weightDecay", what);
  return {
    init: () => ({}),
    update(updates, state, params) {
      const where = `${what}.update`;
      const u = paramLeaves(updates, where, "updates");
      if (weightDecay === 0) return { updates, state };
      if (params === undefined) throw new TypeError(`${where}: params are required (weight decay reads them); pass them as update's third argument`);
      const p = matchingLeaves(params, "params", u, where);
      return scoped(() => ({ updates: tree.unflatten<typeof updates>(u.def, u.leaves.map((l, i) => np.add(l, np.mul(p[i]!, weightDecay)))), state }), [updates, params]);
    },
  };
}

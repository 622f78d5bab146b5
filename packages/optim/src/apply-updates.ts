import { np, type PyTree, tree } from "@mmx/core";
import { matchingLeaves, paramLeaves, scoped } from "./trees.js";

/** `params + updates`, leaf by leaf: the last move of a step (the updates carry the sign and the rate). */
export function applyUpdates<P extends PyTree>(params: P, updates: P): P {
  const what = "applyUpdates";
  const p = paramLeaves(params, what);
  const u = matchingLeaves(updates, "updates", p, what);
  return scoped(() => tree.unflatten<P>(p.def, p.leaves.map((leaf, i) => np.add(leaf, u[i]!))), [params, updates]);
}

import { np, tree } from "@mmx/core";
import { positive } from "./checks.js";
import type { EmptyState, GradientTransformation } from "./transform.js";
import { paramLeaves, scoped } from "./trees.js";

/**
 * Scales the updates so that their global norm (the root of the sum of squares over every leaf) is at
 * most `maxNorm`: `updates · maxNorm / max(norm, maxNorm)`. Put it first in a chain to clip gradients.
 */
export function clipByGlobalNorm(maxNorm: number, what = "clipByGlobalNorm"): GradientTransformation<EmptyState> {
  positive(maxNorm, "maxNorm", what);
  return {
    init: () => ({}),
    update(updates, state) {
      const u = paramLeaves(updates, `${what}.update`, "updates");
      if (u.leaves.length === 0) return { updates, state };
      return scoped(() => {
        const squares = u.leaves.map((l) => np.sum(np.square(l)));
        const norm = np.sqrt(squares.reduce((a, b) => np.add(a, b)));
        const scale = np.div(maxNorm, np.maximum(norm, maxNorm));
        return { updates: tree.unflatten<typeof updates>(u.def, u.leaves.map((l) => np.mul(l, scale))), state };
      }, [updates]);
    },
  };
}

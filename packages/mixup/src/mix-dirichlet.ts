import { Array, canReadSync, np } from "@mmx/core";
import type { DirichletMixing } from "./mixing.js";
import type { MixingRule } from "./mixing-rules.js";
import { checkPerms } from "./validate.js";

/** Σ_j w_j·h[perm_j] over the rows of perm [m, B], on the hidden state and the targets alike. */
export const dirichletRule: MixingRule<DirichletMixing> = {
  check: (what, m, batch) => {
    const w = m.weights;
    if (!(w instanceof Array) || w.dtype !== "float32") throw new TypeError(`${what}: dirichlet weights must be float32 [m] or [B, m], got ${w instanceof Array ? w.aval : typeof w}`);
    if (!(w.ndim === 1 || (w.ndim === 2 && w.shape[0] === batch)) || w.shape[w.ndim - 1]! < 1) {
      throw new TypeError(`${what}: dirichlet weights must be f32[m] for the batch or f32[${batch}, m] per example, got ${w.aval}`);
    }
    if (canReadSync(w)) {
      const ways = w.shape[w.ndim - 1]!;
      const values = w.dataSync();
      for (let row = 0; row < values.length / ways; row++) {
        let total = 0;
        for (let j = 0; j < ways; j++) {
          const v = values[row * ways + j]!;
          if (!(v >= 0)) throw new RangeError(`${what}: dirichlet weights must be >= 0, got ${v} at ${w.ndim === 1 ? `[${j}]` : `[${row}, ${j}]`}`);
          total += v;
        }
        if (Math.abs(total - 1) > 1e-5 * ways) throw new RangeError(`${what}: dirichlet weights must sum to 1${w.ndim === 2 ? ` in each row (row ${row} sums to ${total})` : ` (they sum to ${total})`}`);
      }
    }
  },
  perm: (what, perm, batch, m) => checkPerms(what, perm, batch, m.weights.shape[m.weights.ndim - 1]!),
  mix: (_what, h, m, perm) => weightedSum(h, m.weights, perm),
  mixTargets: (y, m, perm) => weightedSum(y, m.weights, perm),
};

/** Σ_j w_j·h[perm_j], the weights broadcast over every axis but the batch. */
function weightedSum(h: Array, weights: Array, perms: Array): Array {
  const ways = weights.shape[weights.ndim - 1]!;
  const batch = h.shape[0]!;
  const ones = h.shape.slice(1).map(() => 1);
  let total: Array | undefined;
  for (let j = 0; j < ways; j++) {
    const rows = np.take(h, np.reshape(np.slice(perms, [j, 0], [1, batch]), [batch]), 0);
    const w = weights.ndim === 1 ? np.reshape(np.slice(weights, [j], [1]), []) : np.reshape(np.slice(weights, [0, j], [batch, 1]), [batch, ...ones]);
    const term = np.mul(rows, w);
    total = total ? np.add(total, term) : term;
  }
  return total!;
}

import { Array, np, type PyTree, tree } from "@mmx/core";
import { checkOptionNames, inRange } from "./checks.js";
import type { GradientTransformation } from "./transform.js";
import { checkCount, matchingLeaves, paramLeaves, scoped } from "./trees.js";

export interface TraceMomentumOptions {
  /** In [0, 1). 0 keeps no buffer: the transformation passes its updates through. */
  momentum: number;
  /** In [0, 1]: the buffer takes (1 - dampening)·g, except on the first step, as PyTorch. */
  dampening?: number;
  /** Nesterov momentum (needs momentum > 0 and no dampening). */
  nesterov?: boolean;
}

export interface TraceState {
  /** Steps taken: the first one copies the gradient into the buffer, as PyTorch. Absent without momentum. */
  readonly count?: Array;
  /** The momentum buffers, a tree like the updates; absent without momentum. */
  readonly momentum?: PyTree;
}

const OPTIONS = ["momentum", "dampening", "nesterov"] as const;

/**
 * Heavy-ball or Nesterov momentum, as `torch.optim.SGD`: `buf = g` on the first step and
 * `momentum·buf + (1 - dampening)·g` after; the update is `buf`, or `g + momentum·buf` with Nesterov.
 * `what` names it in error messages (sgd passes its own name).
 */
export function traceMomentum(options: TraceMomentumOptions, what = "traceMomentum"): GradientTransformation<TraceState> {
  checkOptionNames(options, OPTIONS, what);
  const { momentum, dampening = 0, nesterov = false } = options;
  inRange(momentum, "momentum", what, 0, 1, true);
  inRange(dampening, "dampening", what, 0, 1, false);
  if (typeof nesterov !== "boolean") throw new TypeError(`${what}: nesterov must be a boolean, got ${typeof nesterov}`);
  if (nesterov && (momentum <= 0 || dampening !== 0)) {
    throw new RangeError(`${what}: Nesterov momentum requires a momentum and zero dampening (got momentum ${momentum}, dampening ${dampening})`);
  }
  if (momentum === 0) return { init: () => ({}), update: (updates, state) => ({ updates, state }) };

  return {
    init(params) {
      const p = paramLeaves(params, `${what}.init`);
      return { count: np.full([], 0, "int32"), momentum: tree.unflatten(p.def, p.leaves.map((l) => np.zerosLike(l))) };
    },
    update(updates, state) {
      const where = `${what}.update`;
      const u = paramLeaves(updates, where, "updates");
      const count = checkCount(state?.count, where);
      const bufs = matchingLeaves(state.momentum, "state.momentum", u, where);
      return scoped(() => {
        // PyTorch's first step copies the gradient (buffers start at 0, so a factor of 1 does it).
        const gScale = dampening === 0 ? 1 : np.where(np.equal(count, 0), 1, 1 - dampening);
        const newBufs: Array[] = [];
        const out = u.leaves.map((g, i) => {
          const buf = np.add(np.mul(bufs[i]!, momentum), gScale === 1 ? g : np.mul(g, gScale));
          newBufs.push(buf);
          return nesterov ? np.add(g, np.mul(buf, momentum)) : buf;
        });
        return {
          updates: tree.unflatten<typeof updates>(u.def, out),
          state: { count: np.add(count, 1), momentum: tree.unflatten(u.def, newBufs) },
        };
      }, [updates, state]);
    },
  };
}

import { Array, np, type PyTree, tree } from "@mmx/core";
import type { LearningRate, Optimizer, OptimizerState } from "./optimizer.js";
import { asSchedule } from "./schedule.js";
import { checkCount, checkOptionNames, inRange, matchingLeaves, paramLeaves, scoped } from "./trees.js";

export interface SgdOptions {
  lr: LearningRate;
  /** In [0, 1). 0 (the default) keeps no buffer. */
  momentum?: number;
  /** In [0, 1]: the buffer takes (1 - dampening)·g, except on the first step, as PyTorch. */
  dampening?: number;
  /** Nesterov momentum (needs momentum > 0 and no dampening). */
  nesterov?: boolean;
  /** L2 penalty: wd·param is added to the gradient before momentum. */
  weightDecay?: number;
}

export interface SgdState extends OptimizerState {
  /** The momentum buffers, a tree like the params; absent without momentum. */
  readonly momentum?: PyTree;
}

const OPTIONS = ["lr", "momentum", "dampening", "nesterov", "weightDecay"] as const;

/**
 * Stochastic gradient descent, step for step as `torch.optim.SGD`:
 * `g = grad + wd·p; buf = g` on the first step and `momentum·buf + (1 - dampening)·g` after;
 * `g = nesterov ? g + momentum·buf : buf` (with momentum); `p = p - lr·g`.
 */
export function sgd(options: SgdOptions): Optimizer<SgdState> {
  const what = "sgd";
  checkOptionNames(options, OPTIONS, what);
  const { lr, momentum = 0, dampening = 0, nesterov = false, weightDecay = 0 } = options;
  const schedule = asSchedule(lr, what);
  inRange(momentum, "momentum", what, 0, 1, true);
  inRange(dampening, "dampening", what, 0, 1, false);
  if (typeof weightDecay !== "number" || !(weightDecay >= 0) || !Number.isFinite(weightDecay)) {
    throw new RangeError(`${what}: weightDecay must be a finite number >= 0, got ${String(weightDecay)}`);
  }
  if (typeof nesterov !== "boolean") throw new TypeError(`${what}: nesterov must be a boolean, got ${typeof nesterov}`);
  if (nesterov && (momentum <= 0 || dampening !== 0)) {
    throw new RangeError(`${what}: Nesterov momentum requires a momentum and zero dampening (got momentum ${momentum}, dampening ${dampening})`);
  }
  const useMomentum = momentum > 0;

  return {
    schedule,
    init(params) {
      const p = paramLeaves(params, `${what}.init`);
      const count = np.full([], 0, "int32");
      if (!useMomentum) return { count };
      return { count, momentum: tree.unflatten(p.def, p.leaves.map((l) => np.zerosLike(l))) };
    },
    update(grads, state, params) {
      const where = `${what}.update`;
      const p = paramLeaves(params, where);
      const g = matchingLeaves(grads, "grads", p, where);
      const count = checkCount(state?.count, where);
      const bufs = useMomentum ? matchingLeaves(state.momentum, "state.momentum", p, where) : [];
      return scoped(() => {
        const rate = schedule(count);
        // PyTorch's first momentum step copies the gradient (buffers start at 0, so a factor of 1 does it).
        const gScale = dampening === 0 ? 1 : np.where(np.equal(count, 0), 1, 1 - dampening);
        // The Nesterov update's scales, lr(1+m) and lr·m (see below), once for every parameter.
        const [newScale, oldScale] = nesterov ? [np.mul(rate, 1 + momentum), np.mul(rate, momentum)] : [];
        const newBufs: Array[] = [];
        const newParams = p.leaves.map((param, i) => {
          let d = weightDecay === 0 ? g[i]! : np.add(g[i]!, np.mul(param, weightDecay));
          if (useMomentum) {
            const buf = np.add(np.mul(bufs[i]!, momentum), gScale === 1 ? d : np.mul(d, gScale));
            newBufs.push(buf);
            // p - lr·(d + m·buf), written with d = buf - m·old (Nesterov has no dampening) so that the
            // gradient is read once: an executor can then fuse its producer into the buffer's update
            // (onnx: the gradient's Gemm accumulates into m·old), two passes over the parameters fewer.
            if (nesterov) return np.add(np.sub(param, np.mul(buf, newScale!)), np.mul(bufs[i]!, oldScale!));
            d = buf;
          }
          return np.sub(param, np.mul(d, rate));
        });
        const next: SgdState = { count: np.add(count, 1) };
        return {
          params: tree.unflatten(p.def, newParams),
          state: useMomentum ? { ...next, momentum: tree.unflatten(p.def, newBufs) } : next,
        };
      }, [grads, state, params]);
    },
  };
}

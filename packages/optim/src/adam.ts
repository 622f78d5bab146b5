import { Array, np, type PyTree, tree } from "@mmx/core";
import type { LearningRate, Optimizer, OptimizerState } from "./optimizer.js";
import { asSchedule } from "./schedule.js";
import { checkCount, checkOptionNames, inRange, matchingLeaves, paramLeaves, scoped } from "./trees.js";

export interface AdamOptions {
  /** 1e-3 by default, as PyTorch. */
  lr?: LearningRate;
  /** [β1, β2], each in [0, 1); [0.9, 0.999] by default. */
  betas?: readonly [number, number];
  /** Added to the root of the second moment; 1e-8 by default. */
  eps?: number;
  /** Adam: an L2 penalty added to the gradient (0 by default); AdamW: decoupled decay (1e-2 by default). */
  weightDecay?: number;
}

export interface AdamState extends OptimizerState {
  /** First moment estimates, a tree like the params. */
  readonly mu: PyTree;
  /** Second moment estimates. */
  readonly nu: PyTree;
}

const OPTIONS = ["lr", "betas", "eps", "weightDecay"] as const;

/**
 * Adam as `torch.optim.Adam` (weight decay as an L2 term added to the gradient):
 * `m = β1·m + (1-β1)·g; v = β2·v + (1-β2)·g²; p -= lr/(1-β1^t) · m / (sqrt(v)/sqrt(1-β2^t) + eps)`.
 */
export function adam(options: AdamOptions = {}): Optimizer<AdamState> {
  return adamFamily(options, "adam", false);
}

/** AdamW as `torch.optim.AdamW`: `p *= 1 - lr·weightDecay` (decoupled from the gradient), then Adam. */
export function adamw(options: AdamOptions = {}): Optimizer<AdamState> {
  return adamFamily(options, "adamw", true);
}

function adamFamily(options: AdamOptions, what: string, decoupled: boolean): Optimizer<AdamState> {
  checkOptionNames(options, OPTIONS, what);
  const { lr = 1e-3, betas = [0.9, 0.999], eps = 1e-8, weightDecay = decoupled ? 1e-2 : 0 } = options;
  const schedule = asSchedule(lr, what);
  if (!globalThis.Array.isArray(betas) || betas.length !== 2) throw new TypeError(`${what}: betas must be a pair [β1, β2], got ${JSON.stringify(betas)}`);
  const [b1, b2] = betas;
  inRange(b1, "betas[0]", what, 0, 1, true);
  inRange(b2, "betas[1]", what, 0, 1, true);
  if (typeof eps !== "number" || !(eps >= 0) || !Number.isFinite(eps)) throw new RangeError(`${what}: eps must be a finite number >= 0, got ${String(eps)}`);
  if (typeof weightDecay !== "number" || !(weightDecay >= 0) || !Number.isFinite(weightDecay)) {
    throw new RangeError(`${what}: weightDecay must be a finite number >= 0, got ${String(weightDecay)}`);
  }

  return {
    schedule,
    init(params) {
      const p = paramLeaves(params, `${what}.init`);
      const zeros = () => tree.unflatten(p.def, p.leaves.map((l) => np.zerosLike(l)));
      return { count: np.full([], 0, "int32"), mu: zeros(), nu: zeros() };
    },
    update(grads, state, params) {
      const where = `${what}.update`;
      const p = paramLeaves(params, where);
      const g = matchingLeaves(grads, "grads", p, where);
      const count = checkCount(state?.count, where);
      const mu = matchingLeaves(state.mu, "state.mu", p, where);
      const nu = matchingLeaves(state.nu, "state.nu", p, where);
      return scoped(() => {
        const rate = schedule(count);
        const t = np.astype(np.add(count, 1), "float32");
        const stepSize = np.div(rate, oneMinusPow(b1, t));
        const correction2Sqrt = np.sqrt(oneMinusPow(b2, t));
        const decay = decoupled && weightDecay !== 0 ? np.sub(1, np.mul(rate, weightDecay)) : null;
        const newMu: Array[] = [];
        const newNu: Array[] = [];
        const newParams = p.leaves.map((param, i) => {
          const grad = !decoupled && weightDecay !== 0 ? np.add(g[i]!, np.mul(param, weightDecay)) : g[i]!;
          const base = decay ? np.mul(param, decay) : param;
          const m = np.add(np.mul(mu[i]!, b1), np.mul(grad, 1 - b1));
          const v = np.add(np.mul(nu[i]!, b2), np.mul(np.mul(grad, grad), 1 - b2));
          newMu.push(m);
          newNu.push(v);
          const denom = np.add(np.div(np.sqrt(v), correction2Sqrt), eps);
          return np.sub(base, np.div(np.mul(m, stepSize), denom));
        });
        return {
          params: tree.unflatten(p.def, newParams),
          state: { count: np.add(count, 1), mu: tree.unflatten(p.def, newMu), nu: tree.unflatten(p.def, newNu) },
        };
      }, [grads, state, params]);
    },
  };
}

/**
 * 1 - β^t for a float32 step t >= 1, without the cancellation of `1 - pow(β, t)` (at β = 0.999,
 * t = 1 that form loses 4 digits in float32): -expm1(t·ln β), with expm1(z) = (e^z - 1)·z / ln(e^z)
 * (Kahan's trick, accurate to a few ulps; the cases e^z = 1 and e^z - 1 = -1 are taken separately).
 */
export function oneMinusPow(beta: number, t: Array): Array {
  if (beta === 0) return np.onesLike(t);
  const z = np.mul(t, Math.log(beta));
  const u = np.exp(z);
  const um1 = np.sub(u, 1);
  const ratio = np.div(np.mul(um1, z), np.log(np.where(np.equal(u, 1), 2, u)));
  return np.neg(np.where(np.equal(u, 1), z, np.where(np.equal(um1, -1), -1, ratio)));
}

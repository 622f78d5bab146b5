import { Array, np, type PyTree, tree } from "@mmx/core";
import { checkOptionNames, inRange, nonNegative } from "./checks.js";
import type { GradientTransformation } from "./transform.js";
import { checkCount, matchingLeaves, paramLeaves, scoped } from "./trees.js";

export interface ScaleByAdamOptions {
  /** [β1, β2], each in [0, 1); [0.9, 0.999] by default. */
  betas?: readonly [number, number];
  /** Added to the root of the second moment; 1e-8 by default. */
  eps?: number;
}

export interface AdamMoments {
  /** Steps taken (the bias corrections' t - 1). */
  readonly count: Array;
  /** First moment estimates, a tree like the updates. */
  readonly mu: PyTree;
  /** Second moment estimates. */
  readonly nu: PyTree;
}

const OPTIONS = ["betas", "eps"] as const;

/**
 * Adam's direction, as `torch.optim.Adam` computes it: `m = β1·m + (1-β1)·g; v = β2·v + (1-β2)·g²`,
 * the update `m/(1-β1^t) / (sqrt(v)/sqrt(1-β2^t) + eps)`. `what` names it in error messages.
 */
export function scaleByAdam(options: ScaleByAdamOptions = {}, what = "scaleByAdam"): GradientTransformation<AdamMoments> {
  checkOptionNames(options, OPTIONS, what);
  const { betas = [0.9, 0.999], eps = 1e-8 } = options;
  if (!globalThis.Array.isArray(betas) || betas.length !== 2) throw new TypeError(`${what}: betas must be a pair [β1, β2], got ${JSON.stringify(betas)}`);
  const [b1, b2] = betas;
  inRange(b1, "betas[0]", what, 0, 1, true);
  inRange(b2, "betas[1]", what, 0, 1, true);
  nonNegative(eps, "eps", what);

  return {
    init(params) {
      const p = paramLeaves(params, `${what}.init`);
      const zeros = () => tree.unflatten(p.def, p.leaves.map((l) => np.zerosLike(l)));
      return { count: np.full([], 0, "int32"), mu: zeros(), nu: zeros() };
    },
    update(updates, state) {
      const where = `${what}.update`;
      const u = paramLeaves(updates, where, "updates");
      const count = checkCount(state?.count, where);
      const mu = matchingLeaves(state.mu, "state.mu", u, where);
      const nu = matchingLeaves(state.nu, "state.nu", u, where);
      return scoped(() => {
        const t = np.astype(np.add(count, 1), "float32");
        const correction1 = np.div(1, oneMinusPow(b1, t));
        const correction2Sqrt = np.sqrt(oneMinusPow(b2, t));
        const newMu: Array[] = [];
        const newNu: Array[] = [];
        const out = u.leaves.map((g, i) => {
          const m = np.add(np.mul(mu[i]!, b1), np.mul(g, 1 - b1));
          const v = np.add(np.mul(nu[i]!, b2), np.mul(np.mul(g, g), 1 - b2));
          newMu.push(m);
          newNu.push(v);
          const denom = np.add(np.div(np.sqrt(v), correction2Sqrt), eps);
          return np.div(np.mul(m, correction1), denom);
        });
        return {
          updates: tree.unflatten<typeof updates>(u.def, out),
          state: { count: np.add(count, 1), mu: tree.unflatten(u.def, newMu), nu: tree.unflatten(u.def, newNu) },
        };
      }, [updates, state]);
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

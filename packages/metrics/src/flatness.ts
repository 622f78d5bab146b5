import { Array, dispose, hvp, jit, np, tidy, tree, type PyTree } from "@mmx/core";

export interface HessianEigenOptions {
  /** The loss's arguments after the params (a batch: x, y, ...); they are not differentiated. */
  args?: readonly unknown[];
  /** The most power iterations (default 100). */
  iters?: number;
  /** Stop once the estimate changes by at most tol·|estimate| between iterations (default 1e-4). */
  tol?: number;
  /**
   * The starting direction, a tree like the params (say, a normal draw from an @mmx/random key); default: a fixed
   * pseudo-random direction from `seed`. A start orthogonal to the top eigenvector never finds it.
   */
  start?: PyTree;
  /** Picks the default start (default 0). */
  seed?: number;
}

export interface HessianEigen {
  /** The Hessian's eigenvalue of largest magnitude (at a minimum: the largest, the sharpness). */
  readonly eigenvalue: number;
  /** Power iterations taken (each one Hessian-vector product). */
  readonly iterations: number;
  /** Whether the estimate settled within tol before `iters` ran out. */
  readonly converged: boolean;
}

/** A uniform draw in [0, 1) from (seed, index): a fixed direction, the same on every backend. */
function hashUniform(seed: number, i: number): number {
  let h = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(seed + 0x27d4eb2f, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
}

/** The global Euclidean norm of a tree of arrays. */
const norm = (t: PyTree): Array => np.sqrt((tree.leaves(t) as Array[]).map((l) => np.sum(np.square(l))).reduce((a, b) => np.add(a, b)));
const dot = (a: PyTree, b: PyTree): Array => {
  const [la, lb] = [tree.leaves(a) as Array[], tree.leaves(b) as Array[]];
  return la.map((l, i) => np.sum(np.mul(l, lb[i]!))).reduce((x, y) => np.add(x, y));
};

/**
 * The flatness measure: the largest-magnitude eigenvalue of the loss's Hessian with respect to the params
 * at `params` (on the batch in `args`), by power iteration. Each iteration is one Hessian-vector product
 * (core's `hvp`, forward over reverse, one jitted program), so the Hessian is never formed: v ← Hv/‖Hv‖ and
 * the estimate is the Rayleigh quotient vᵀHv. Flatter minima have a smaller value. Its convergence rate is the ratio of the two largest eigenvalue magnitudes.
 */
export function largestHessianEigenvalue<P extends PyTree>(loss: (params: P, ...args: any[]) => Array, params: P, opts: HessianEigenOptions = {}): HessianEigen {
  const what = "largestHessianEigenvalue";
  const { args = [], iters = 100, tol = 1e-4 } = opts;
  if (typeof loss !== "function") throw new TypeError(`${what}: loss must be a function of (params, ...args) returning a scalar, got ${typeof loss}`);
  if (!(Number.isInteger(iters) && iters >= 1)) throw new RangeError(`${what}: iters must be a positive integer, got ${String(iters)}`);
  if (!(typeof tol === "number" && tol >= 0)) throw new RangeError(`${what}: tol must be a number >= 0, got ${String(tol)}`);
  const [leaves, def] = tree.flatten(params);
  leaves.forEach((l, i) => {
    if (!(l instanceof Array) || l.dtype !== "float32") throw new TypeError(`${what}: params leaf ${tree.leafPaths(def)[i]} is not a float32 Array`);
  });
  if (leaves.length === 0) throw new RangeError(`${what}: params has no arrays`);
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(seed)) throw new TypeError(`${what}: seed must be an integer, got ${String(seed)}`);
  if (opts.start !== undefined) {
    const [given, givenDef] = tree.flatten(opts.start);
    if (!givenDef.equals(def) || given.some((g, i) => !(g instanceof Array) || !g.aval.equals((leaves[i] as Array).aval))) {
      throw new TypeError(`${what}: start must be a tree of arrays like the params (${def})`);
    }
  }
  let v: PyTree = tidy(() => {
    let offset = 0;
    const start = opts.start ?? tree.unflatten(def, leaves.map((l) => {
      const a = l as Array;
      const values = Float32Array.from({ length: a.size }, (_, i) => hashUniform(seed, offset + i) - 0.5);
      offset += a.size;
      return np.array(values, { shape: a.shape });
    }));
    const n = norm(start);
    return tree.map((l: Array) => np.div(l, n), start);
  });
  // One iteration: Hv, its Rayleigh quotient vᵀHv, and the next direction Hv/‖Hv‖.
  const iterate = jit((p: P, u: PyTree, ...rest: unknown[]) => {
    const hu = hvp(loss)(p, u, ...rest) as PyTree;
    const n = norm(hu);
    return { next: tree.map((l: Array) => np.div(l, np.maximum(n, 1e-30)), hu), rayleigh: dot(u, hu) };
  });
  let estimate = NaN;
  let iterations = 0;
  let converged = false;
  try {
    while (iterations < iters) {
      const r = iterate(params, v, ...args) as { next: PyTree; rayleigh: Array };
      dispose(v);
      v = r.next;
      const value = r.rayleigh.item();
      r.rayleigh.dispose();
      iterations++;
      if (!Number.isFinite(value)) throw new RangeError(`${what}: the Hessian-vector product is not finite (${value}) at iteration ${iterations}; is the loss finite at these params?`);
      converged = Math.abs(value - estimate) <= tol * Math.abs(value);
      estimate = value;
      if (converged) break;
    }
  } finally {
    dispose(v);
  }
  return { eigenvalue: estimate, iterations, converged };
}

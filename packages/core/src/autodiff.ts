import { Array, Literal } from "./array.js";
import { isFloat } from "./dtype.js";
import { Var, type Atom } from "./jaxpr.js";
import { traceFlat, describeValue } from "./jaxpr-trace.js";
import { tidy } from "./memory.js";
import { atScope } from "./scope.js";
import * as np from "./np.js";
import { bind, isTracing, Tracer } from "./trace.js";
import { flatten, leafPaths, unflatten, type PyTree, type TreeDef } from "./tree.js";
import { vjpRules, type Cotangent } from "./vjp-rules.js";

/**
 * Reverse mode as a transform of the traced program: stage `fn` into a jaxpr, evaluate it forward
 * (binding at whatever level the primals live), then walk the equations backwards applying each
 * primitive's VJP rule. The rules bind primitives too, so the backward pass is itself traceable.
 */
export function vjpFlat(fn: (...xs: Array[]) => PyTree, primals: readonly Array[]): { outs: Array[]; outTree: TreeDef; backward: (cts: readonly (Array | null)[]) => Array[] } {
  const { closed, outTree } = traceFlat(fn, primals.map((p) => p.aval));
  const { jaxpr, consts } = closed;
  const env = new Map<Var, Array>();
  jaxpr.constVars.forEach((v, i) => env.set(v, consts[i]!));
  jaxpr.inBinders.forEach((v, i) => env.set(v, primals[i]!));
  const read = (a: Atom) => (a instanceof Var ? env.get(a)! : a);

  // Only equations downstream of a primal carry cotangents.
  const active = new Set<Var>(jaxpr.inBinders);
  for (const eqn of jaxpr.eqns) {
    env.set(eqn.out, atScope(eqn.scope, () => bind(eqn.primitive, eqn.inputs.map(read), eqn.params as never)));
    if (isFloat(eqn.out.aval.dtype) && eqn.inputs.some((a) => a instanceof Var && active.has(a))) active.add(eqn.out);
  }
  const outs = jaxpr.outs.map((a) => {
    const v = read(a);
    return v instanceof Literal ? np.full([], v.value, v.aval.dtype) : v;
  });

  const backward = (cts: readonly (Array | null)[]): Array[] => {
    const ctEnv = new Map<Var, Array>();
    const accumulate = (v: Var, ct: Array) => {
      const prev = ctEnv.get(v);
      ctEnv.set(v, prev ? np.add(prev, ct) : ct);
    };
    jaxpr.outs.forEach((a, i) => {
      const ct = cts[i];
      if (ct && a instanceof Var && active.has(a)) accumulate(a, ct);
    });
    for (let i = jaxpr.eqns.length - 1; i >= 0; i--) {
      const eqn = jaxpr.eqns[i]!;
      const ct = ctEnv.get(eqn.out);
      if (!ct) continue;
      ctEnv.delete(eqn.out);
      const rule = vjpRules[eqn.primitive] as (ct: Array, ops: unknown[], out: Array, params: unknown) => Cotangent[];
      // The backward equations of a layer carry that layer's path, as its forward ones do.
      atScope(eqn.scope, () => {
        const inCts = rule(ct, eqn.inputs.map(read), env.get(eqn.out)!, eqn.params);
        eqn.inputs.forEach((a, j) => {
          if (!(a instanceof Var && active.has(a))) return;
          const entry = inCts[j];
          const c = typeof entry === "function" ? entry() : entry;
          if (c) accumulate(a, c);
        });
      });
    }
    return jaxpr.inBinders.map((v) => ctEnv.get(v) ?? np.zeros(v.aval.shape, v.aval.dtype));
  };
  return { outs, outTree, backward };
}

/** A tree's leaves as arrays; numbers become float32 scalars (shared by vjp and jvp). */
export function arrayLeaves(tree: PyTree, what: string): [Array[], TreeDef] {
  const [ls, def] = flatten(tree);
  const paths = leafPaths(def);
  return [
    ls.map((l, i) => {
      if (l instanceof Array) return l;
      if (typeof l === "number") return np.full([], l);
      throw new TypeError(`${what}: leaf ${paths[i]} is ${describeValue(l)}; expected an array or a number`);
    }),
    def,
  ];
}

/**
 * `vjp(f, ...primals)`: `[out, vjpFn]` where `vjpFn(ct)` gives the cotangent of each primal (a tuple
 * over the primals). In eager code the residuals live until the enclosing tidy ends.
 */
export function vjp<F extends AnyFn>(f: F, ...primals: Parameters<F>): [ReturnType<F>, (ct: Gradient<ReturnType<F>>) => Gradients<Parameters<F>>] {
  const [flat, inTree] = arrayLeaves(primals, "vjp");
  const { outs, outTree, backward } = vjpFlat((...xs) => f(...unflatten<PyTree[]>(inTree, xs)), flat);
  const vjpFn = (ct: PyTree): any => {
    const [cts, ctTree] = arrayLeaves(ct, "vjp cotangent");
    if (!ctTree.equals(outTree)) throw new TypeError(`vjp: the cotangent's structure ${ctTree} differs from the output's ${outTree}`);
    cts.forEach((c, i) => {
      if (!c.aval.equals(outs[i]!.aval)) throw new TypeError(`vjp: cotangent leaf ${i} is ${c.aval}, the output is ${outs[i]!.aval}`);
    });
    return unflatten<PyTree[]>(inTree, backward(cts));
  };
  return [unflatten(outTree, outs), vjpFn];
}

export interface GradOptions {
  /** Which positional arguments to differentiate: one index (the default 0) or several. */
  argnums?: number | readonly number[];
  /** f returns `[loss, aux]`; aux is passed through undifferentiated. */
  hasAux?: boolean;
}

type AnyFn = (...args: any[]) => any;

/** The gradient of a value of type T: a tree like it, with an array at every leaf (numbers included). */
export type Gradient<T> = unknown extends T ? T : T extends Array | number ? Array : T extends null | undefined ? T : { [K in keyof T]: Gradient<T[K]> };

/** Gradients of a tuple of arguments: a tuple (or array) of their gradients. */
export type Gradients<A> = { -readonly [K in keyof A]: Gradient<A[K]> };

/** What `grad(f, opts)` differentiates: argument 0, `argnums`, or a tuple over several `argnums`. */
export type GradientOf<F extends AnyFn, O extends GradOptions> = O extends { argnums: infer N }
  ? N extends number
    ? Gradient<Parameters<F>[N]>
    : N extends readonly number[]
      ? { -readonly [K in keyof N]: Gradient<Parameters<F>[N[K] & number]> }
      : Gradient<Parameters<F>[0]>
  : Gradient<Parameters<F>[0]>;

/** The aux of `f` with hasAux (its `[loss, aux]`'s second entry). */
export type AuxOf<F extends AnyFn> = ReturnType<F> extends readonly [unknown, infer A] ? A : never;

/** `grad(f, opts)`'s function: the gradient, or `[gradient, aux]` with hasAux. */
export type GradFn<F extends AnyFn, O extends GradOptions> = (...args: Parameters<F>) => O extends { hasAux: true } ? [GradientOf<F, O>, AuxOf<F>] : GradientOf<F, O>;

/** `valueAndGrad(f, opts)`'s function: `[value, gradient]`, or `[[value, aux], gradient]` with hasAux. */
export type ValueAndGradFn<F extends AnyFn, O extends GradOptions> = (
  ...args: Parameters<F>
) => O extends { hasAux: true } ? [[Array, AuxOf<F>], GradientOf<F, O>] : [Array, GradientOf<F, O>];

function runValueAndGrad(name: string, f: (...args: any[]) => PyTree, opts: GradOptions, args: unknown[]): [PyTree, PyTree, PyTree] {
  const argnums = opts.argnums ?? 0;
  const nums = typeof argnums === "number" ? [argnums] : [...argnums];
  for (const n of nums) {
    if (!Number.isInteger(n) || n < 0 || n >= args.length) {
      throw new RangeError(`${name}: argnums ${JSON.stringify(argnums)} is out of range for ${args.length} argument(s)`);
    }
  }
  const diffTrees = nums.map((n) => args[n]);
  const [flat, diffTree] = arrayLeaves(diffTrees, name);
  const paths = leafPaths(diffTree);
  flat.forEach((x, i) => {
    if (!isFloat(x.dtype)) {
      throw new TypeError(`${name}: cannot differentiate with respect to ${x.aval} (argument ${nums[Number(/^\[(\d+)\]/.exec(paths[i]!)?.[1] ?? 0)]} at ${paths[i]}); only float32 leaves have gradients`);
    }
  });
  const wrapped = (...xs: Array[]) => {
    const trees = unflatten<PyTree[]>(diffTree, xs);
    const full = [...args];
    nums.forEach((n, j) => (full[n] = trees[j]));
    return f(...full);
  };
  const { outs, outTree, backward } = vjpFlat(wrapped, flat);
  const out = unflatten<PyTree>(outTree, outs);
  let loss: unknown = out;
  let aux: PyTree = undefined;
  if (opts.hasAux) {
    if (!globalThis.Array.isArray(out) || out.length !== 2) throw new TypeError(`${name}: with hasAux, f must return [loss, aux]`);
    [loss, aux] = out as [unknown, PyTree];
  }
  if (!(loss instanceof Array) || loss.ndim !== 0 || !isFloat(loss.dtype)) {
    const got = loss instanceof Array ? String(loss.aval) : describeValue(loss);
    throw new TypeError(`${name}: f must return a float32 scalar${opts.hasAux ? " as the first of [loss, aux]" : ""}, got ${got}; use vjp for other outputs`);
  }
  const cts = outs.map((o) => (o === loss ? np.onesLike(o) : null));
  const grads = unflatten<PyTree[]>(diffTree, backward(cts));
  return [loss, typeof argnums === "number" ? grads[0] : grads, aux];
}

/** Frees eager intermediates when nothing is being traced; under a trace there are none to free. */
function scoped<T>(fn: () => T, args: unknown[]): T {
  const traced = isTracing() || flatten(args)[0].some((l) => l instanceof Tracer);
  return traced ? fn() : tidy(fn);
}

/**
 * `grad(f)`: the gradient of a scalar-valued f with respect to argument `argnums` (a pytree like it). Typed from
 * f: the gradient of `(p: Params, ...) => NDArray` is a `Params`.
 */
export function grad<F extends AnyFn, const O extends GradOptions = {}>(f: F, opts?: O): GradFn<F, O> {
  const options: GradOptions = opts ?? {};
  return ((...args: unknown[]) =>
    scoped(() => {
      const [, g, aux] = runValueAndGrad("grad", f, options, args);
      return options.hasAux ? [g, aux] : g;
    }, args)) as GradFn<F, O>;
}

/** `valueAndGrad(f)`: `[value, grad]`, or `[[value, aux], grad]` with hasAux. */
export function valueAndGrad<F extends AnyFn, const O extends GradOptions = {}>(f: F, opts?: O): ValueAndGradFn<F, O> {
  const options: GradOptions = opts ?? {};
  return ((...args: unknown[]) =>
    scoped(() => {
      const [value, g, aux] = runValueAndGrad("valueAndGrad", f, options, args);
      return options.hasAux ? [[value, aux], g] : [value, g];
    }, args)) as unknown as ValueAndGradFn<F, O>;
}

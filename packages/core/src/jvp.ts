import { Array, Literal } from "./array.js";
import { arrayLeaves } from "./autodiff.js";
import { isFloat } from "./dtype.js";
import { eqnOuts, isHigherOrderEqn, rulesOf, Var, type Atom } from "./jaxpr.js";
import type { Primitive } from "./primitives.js";
import { describeValue, traceFlat } from "./jaxpr-trace.js";
import { jvpRules, type Tangent } from "./jvp-rules.js";
import { tidy } from "./memory.js";
import * as np from "./np.js";
import { atScope } from "./scope.js";
import { bind, isTracer, isTracing } from "./trace.js";
import { firstDifference, flatten, leafPaths, unflatten, type PyTree, type TreeDef } from "./tree.js";

/**
 * Forward mode as an interpreter of the traced program: stage `fn` into a jaxpr, then evaluate its
 * equations in order, each primal at whatever level the inputs live and each tangent by the
 * primitive's JVP rule. Tangents that are zero stay symbolic (null) and cost nothing.
 */
export function jvpFlat(fn: (...xs: Array[]) => PyTree, primals: readonly Array[], tangents: readonly Array[]): { outs: Array[]; outTangents: Array[]; outTree: TreeDef } {
  const { closed, outTree } = traceFlat(fn, primals.map((p) => p.aval));
  const { jaxpr, consts } = closed;
  const env = new Map<Var, Array>();
  const tangentOf = new Map<Var, Array>();
  jaxpr.constVars.forEach((v, i) => env.set(v, consts[i]!));
  jaxpr.inBinders.forEach((v, i) => {
    env.set(v, primals[i]!);
    if (isFloat(v.aval.dtype)) tangentOf.set(v, tangents[i]!);
  });
  const read = (a: Atom) => (a instanceof Var ? env.get(a)! : a);
  const materialize = (v: Array | Literal) => (v instanceof Literal ? np.full([], v.value, v.aval.dtype) : v);
  const readTangent = (a: Atom): Tangent => (a instanceof Var ? (tangentOf.get(a) ?? null) : null);

  for (const eqn of jaxpr.eqns) {
    atScope(eqn.scope, () => {
      const operands = eqn.inputs.map(read);
      if (isHigherOrderEqn(eqn)) {
        const arrays = operands.map(materialize);
        const ts = eqn.inputs.map(readTangent);
        const rules = rulesOf(eqn);
        const { outs, outTangents } = ts.every((t) => t === null) ? { outs: rules.bind(arrays, eqn.params), outTangents: [] } : rules.jvp(arrays, ts, eqn.params);
        eqnOuts(eqn).forEach((v, k) => {
          env.set(v, outs[k]!);
          const t = outTangents[k];
          if (t) tangentOf.set(v, t);
        });
        return;
      }
      const out = bind(eqn.primitive as Primitive, operands, eqn.params as never);
      env.set(eqn.out, out);
      const ts = eqn.inputs.map(readTangent);
      if (!isFloat(eqn.out.aval.dtype) || ts.every((t) => t === null)) return;
      const rule = jvpRules[eqn.primitive as Primitive] as (ops: unknown[], ts: Tangent[], out: Array, params: unknown) => Tangent;
      const t = rule(operands, ts, out, eqn.params);
      if (t) tangentOf.set(eqn.out, t);
    });
  }
  const outs = jaxpr.outs.map((a) => materialize(read(a)));
  const outTangents = jaxpr.outs.map((a) => readTangent(a) ?? np.zeros(a.aval.shape, a.aval.dtype));
  return { outs, outTangents, outTree };
}

/** Frees eager intermediates when nothing is being traced; under a trace there are none to free. */
export function eagerScope<T>(fn: () => T, inputs: unknown): T {
  const traced = isTracing() || flatten(inputs)[0].some((l) => isTracer(l));
  return traced ? fn() : tidy(fn);
}

/**
 * `jvp(f, primals, tangents)`: `[f(...primals), tangent of the output]`, the directional derivative of
 * f at `primals` along `tangents` (a list like `primals`, each tangent of its primal's shape and dtype),
 * computed in one forward pass. Integer and bool leaves have zero tangents.
 */
export function jvp(f: (...args: any[]) => PyTree, primals: readonly PyTree[], tangents: readonly PyTree[]): [any, any] {
  if (!globalThis.Array.isArray(primals) || !globalThis.Array.isArray(tangents)) {
    throw new TypeError(`jvp: primals and tangents must be lists of arguments, got ${describeValue(primals)} and ${describeValue(tangents)}`);
  }
  return eagerScope(() => {
    const [flat, inTree] = arrayLeaves(primals, "jvp primals");
    const [flatT, tTree] = arrayLeaves(tangents, "jvp tangents");
    if (!tTree.equals(inTree)) throw new TypeError(`jvp: the tangents' structure differs from the primals' at ${firstDifference(tTree, inTree) ?? "the root"}`);
    const paths = leafPaths(inTree);
    flatT.forEach((t, i) => {
      if (!t.aval.equals(flat[i]!.aval)) throw new TypeError(`jvp: the tangent at ${paths[i]} is ${t.aval}, its primal is ${flat[i]!.aval}`);
    });
    const { outs, outTangents, outTree } = jvpFlat((...xs) => f(...unflatten<PyTree[]>(inTree, xs)), flat, flatT);
    return [unflatten(outTree, outs), unflatten(outTree, outTangents)];
  }, [primals, tangents]);
}

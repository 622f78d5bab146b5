import { Literal } from "./array.js";
import { ShapedArray } from "./aval.js";
import { eqnOuts, isCustomVjpEqn, isScanEqn, Jaxpr, Var, type Atom, type Eqn } from "./jaxpr.js";
import { stackedAval } from "./scan-shape.js";

/**
 * Rewrites higher-order equations as straight-line ones, for executors: every custom_vjp becomes its f (only
 * grad reads its rule, and grad has run by now), and every scan that `unroll` picks (default all, nested ones
 * too) its body inlined once per step, each step reading its slice of the xs (slice + reshape) and the ys
 * stacked at the end (reshape + concatenate). How an executor without loops runs a scan: the program grows
 * with the length, the dispatch is one program's. A jaxpr with nothing to rewrite comes back unchanged.
 */
export function inlineHigherOrder(jaxpr: Jaxpr, unroll: (scan: Eqn<"scan">) => boolean = () => true): Jaxpr {
  if (!jaxpr.eqns.some((e) => isCustomVjpEqn(e) || (isScanEqn(e) && unroll(e)))) return jaxpr;
  const eqns: Eqn[] = [];
  const subst = new Map<Var, Atom>();
  const resolve = (a: Atom): Atom => (a instanceof Var ? (subst.get(a) ?? a) : a);
  const emit = <E extends Eqn>(e: E): Var => {
    eqns.push(e);
    return e.out;
  };
  /** Copies a body's equations with fresh variables, its binders read as `inputs`; gives its outputs. */
  const inline = (body: Jaxpr, inputs: readonly Atom[]): Atom[] => {
    const env = new Map<Var, Atom>();
    body.inBinders.forEach((v, k) => env.set(v, inputs[k]!));
    const read = (a: Atom): Atom => (a instanceof Var ? (env.get(a) ?? a) : a);
    for (const e of body.eqns) {
      const outs = eqnOuts(e).map((v) => new Var(v.aval));
      eqnOuts(e).forEach((v, k) => env.set(v, outs[k]!));
      eqns.push({ ...e, inputs: e.inputs.map(read), out: outs[0]!, ...(e.outs ? { outs } : {}) });
    }
    return body.outs.map(read);
  };
  for (const eqn of jaxpr.eqns) {
    if (isCustomVjpEqn(eqn)) {
      const outs = inline(inlineHigherOrder(eqn.params.body, unroll), eqn.inputs.map(resolve));
      eqnOuts(eqn).forEach((v, k) => subst.set(v, outs[k]!));
      continue;
    }
    if (!isScanEqn(eqn) || !unroll(eqn)) {
      const inputs = eqn.inputs.map(resolve);
      const params = isScanEqn(eqn) ? { ...eqn.params, body: inlineHigherOrder(eqn.params.body, unroll) } : eqn.params;
      eqns.push(inputs.some((a, k) => a !== eqn.inputs[k]) || params !== eqn.params ? { ...eqn, inputs, params } : eqn);
      continue;
    }
    const { numConsts, numCarry, length, reverse } = eqn.params;
    const body = inlineHigherOrder(eqn.params.body, unroll);
    const scope = eqn.scope;
    const inputs = eqn.inputs.map(resolve);
    const consts = inputs.slice(0, numConsts);
    let carry = inputs.slice(numConsts, numConsts + numCarry);
    const xs = inputs.slice(numConsts + numCarry);
    const numYs = body.outs.length - numCarry;
    const ys: Atom[][] = globalThis.Array.from({ length: numYs }, () => []);
    for (let t = 0; t < length; t++) {
      const i = reverse ? length - 1 - t : t;
      const outs = inline(body, [...consts, ...carry, ...xs.map((x) => sliceStep(x as Var, i, scope, emit))]);
      carry = outs.slice(0, numCarry);
      outs.slice(numCarry).forEach((y, k) => (ys[k]![i] = y));
    }
    const results = [...carry, ...ys.map((list, k) => stackSteps(list, stackedAval(body.outs[numCarry + k]!.aval, length), scope, emit))];
    eqnOuts(eqn).forEach((v, k) => subst.set(v, results[k]!));
  }
  return new Jaxpr(jaxpr.constVars, jaxpr.inBinders, eqns, jaxpr.outs.map(resolve));
}

type Emit = (e: Eqn) => Var;

/** Slice i of x along its leading axis, that axis dropped. */
function sliceStep(x: Var, i: number, scope: string, emit: Emit): Var {
  const rest = x.aval.shape.slice(1);
  const one = emit({ primitive: "slice", inputs: [x], params: { begin: [i, ...rest.map(() => 0)], size: [1, ...rest] }, out: new Var(new ShapedArray([1, ...rest], x.aval.dtype)), scope });
  return emit({ primitive: "reshape", inputs: [one], params: { shape: rest }, out: new Var(new ShapedArray(rest, x.aval.dtype)), scope });
}

/** The steps' values stacked on a new leading axis (a literal value first made an array of its type). */
function stackSteps(steps: readonly Atom[], out: ShapedArray, scope: string, emit: Emit): Var {
  const per = out.shape.slice(1);
  const fill = (value: number, shape: readonly number[]) => emit({ primitive: "broadcast_to", inputs: [new Literal(value, out.dtype)], params: { shape }, out: new Var(new ShapedArray(shape, out.dtype)), scope });
  if (steps.length === 0) return fill(0, out.shape);
  const rows = steps.map((a) => {
    const v = a instanceof Literal ? fill(a.value, per) : a;
    return emit({ primitive: "reshape", inputs: [v], params: { shape: [1, ...per] }, out: new Var(new ShapedArray([1, ...per], out.dtype)), scope });
  });
  if (rows.length === 1) return rows[0]!;
  return emit({ primitive: "concatenate", inputs: rows, params: { axis: 0 }, out: new Var(out), scope });
}

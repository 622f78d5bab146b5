import { Array } from "./array.js";
import { ShapedArray } from "./aval.js";
import type { CustomVjpParams } from "./higher-order.js";
import { evalJaxpr } from "./jaxpr.js";
import { describeValue } from "./jaxpr-trace.js";
import * as np from "./np.js";
import { traceBody } from "./scan.js";
import { bindMultiple } from "./trace.js";
import { firstDifference, flatten, leafPaths, unflatten, type TreeDef } from "./tree.js";
import { vmapFlat } from "./vmap.js";

/** Binds a custom_vjp at whichever trace owns its operands (`[consts, args]`); gives f's flat outputs. */
export function bindCustomVjp(operands: readonly Array[], params: CustomVjpParams): Array[] {
  const outAvals = params.body.outs.map((o) => o.aval);
  return bindMultiple("custom_vjp", operands, params, outAvals, (ops) => evalJaxpr(params.body, ops));
}

const leafArrays = (tree: unknown, what: string): [Array[], TreeDef] => {
  const [leaves, def] = flatten(tree);
  const paths = leafPaths(def, what);
  return [
    leaves.map((l, i) => {
      if (l instanceof Array) return l;
      if (typeof l === "number") return np.full([], l);
      throw new TypeError(`customVjp: ${paths[i]} is ${describeValue(l)}; expected an array or a number`);
    }),
    def,
  ];
};

/**
 * `customVjp(f, fwd, bwd)`: f, whose reverse-mode derivative is given rather than derived: `fwd(...args)` returns
 * `[f(...args), residuals]` and `bwd(residuals, ct)` the cotangents of the args (a list like them; null for
 * none). grad, vjp and jit(grad) use them; every other transform (eager, jit, jvp, vmap) runs f itself, and
 * `vmap(g)` keeps the rule for a grad taken over it. For the stable forms of losses, whose plain derivative
 * overflows where the function does not. f must not close over values being differentiated: pass them as args.
 */
export function customVjp<A extends unknown[], R, Res>(f: (...args: A) => R, fwd: (...args: A) => readonly [R, Res], bwd: (residuals: Res, ct: R) => { [K in keyof A]: unknown }): (...args: A) => R {
  const name = f.name || "f";
  return (...args: A) => {
    const [flatArgs, argTree] = leafArrays(args, "argument");
    let outTree: TreeDef | undefined;
    const { body, consts } = traceBody(
      (...xs) => {
        const [outs, def] = leafArrays(f(...unflatten<A>(argTree, xs)), "output");
        outTree = def;
        return outs;
      },
      flatArgs.map((a) => a.aval),
    );
    let resTree: TreeDef | undefined;
    const params: CustomVjpParams = {
      body,
      numConsts: consts.length,
      name,
      fwd: (xs) => {
        const [out, res] = fwd(...unflatten<A>(argTree, xs));
        const [outs, def] = leafArrays(out, "fwd's output");
        if (!def.equals(outTree!)) throw new TypeError(`customVjp(${name}): fwd returns an output whose structure differs from f's at ${firstDifference(def, outTree!) ?? "the root"}`);
        const [residuals, rDef] = leafArrays(res, "residual");
        resTree = rDef;
        return { outs, residuals };
      },
      bwd: (residuals, cts) => {
        const result = bwd(unflatten<Res>(resTree!, residuals), unflatten<R>(outTree!, cts)) as unknown;
        if (!globalThis.Array.isArray(result) || result.length !== args.length) {
          throw new TypeError(`customVjp(${name}): bwd must return a list of ${args.length} cotangent(s), one per argument, got ${describeValue(result)}`);
        }
        // One entry per argument: null (no cotangent), or a tree like the argument.
        return result.flatMap((c, i) => {
          const argDef = argTree.children[i]!;
          if (c === null || c === undefined) return globalThis.Array<null>(argDef.numLeaves).fill(null);
          const [leaves, def] = leafArrays(c, `bwd's cotangent ${i}`);
          if (!def.equals(argDef)) throw new TypeError(`customVjp(${name}): bwd's cotangent ${i} differs from argument ${i}'s structure at ${firstDifference(def, argDef) ?? "the root"}`);
          return leaves;
        });
      },
    };
    const outs = bindCustomVjp([...consts, ...flatArgs], params);
    return unflatten<R>(outTree!, outs);
  };
}

/**
 * vmap of a custom_vjp: another custom_vjp over the batched body, whose fwd and bwd are the batched fwd and bwd
 * (an unbatched argument's cotangent summed over the batch, as it was shared by every example).
 */
export function customVjpBatch(operands: readonly Array[], batched: readonly boolean[], p: CustomVjpParams, size: number): Array[] {
  const consts = operands.slice(0, p.numConsts);
  const args = operands.slice(p.numConsts);
  const argBatched = batched.slice(p.numConsts);
  const withBatch = (a: ShapedArray, b: boolean) => (b ? new ShapedArray([size, ...a.shape], a.dtype) : a);
  const { body, consts: extra } = traceBody((...flat) => vmapFlat((...xs) => evalJaxpr(p.body, xs), flat, batched, size).outs, p.body.inBinders.map((v, i) => withBatch(v.aval, batched[i]!)));
  let numResiduals = 0;
  const batchedParams: CustomVjpParams = {
    body,
    numConsts: extra.length + consts.length,
    name: p.name,
    fwd: (xs) => {
      const r = vmapFlat(
        (...ys) => {
          const { outs, residuals } = p.fwd(ys);
          numResiduals = residuals.length;
          return [...outs, ...residuals];
        },
        xs,
        argBatched,
        size,
      ).outs;
      const numOuts = p.body.outs.length;
      return { outs: r.slice(0, numOuts), residuals: r.slice(numOuts) };
    },
    bwd: (residuals, cts) => {
      const argAvals = p.body.inBinders.slice(p.numConsts).map((v) => v.aval);
      const perExample = (...ys: Array[]) => p.bwd(ys.slice(0, numResiduals), ys.slice(numResiduals)).map((c, i) => c ?? np.zeros(argAvals[i]!.shape, argAvals[i]!.dtype));
      const all = [...residuals, ...cts];
      const cs = vmapFlat(perExample, all, all.map(() => true), size).outs;
      return cs.map((c, i) => (argBatched[i] ? c : np.sum(c, { axis: 0 })));
    },
  };
  return bindCustomVjp([...extra, ...consts, ...args], batchedParams);
}

import { Array, Literal } from "./array.js";
import { ShapedArray } from "./aval.js";
import { batchRules } from "./batch-rules.js";
import { eqnOuts, isHigherOrderEqn, rulesOf, Var, type Atom } from "./jaxpr.js";
import type { Primitive } from "./primitives.js";
import { describeValue, traceFlat } from "./jaxpr-trace.js";
import { eagerScope } from "./jvp.js";
import * as np from "./np.js";
import { atScope } from "./scope.js";
import { bind } from "./trace.js";
import { flatten, leafPaths, unflatten, type PyTree, type TreeDef } from "./tree.js";

/**
 * Which axis of each leaf is mapped: a number (negative counts from the end), null (not mapped: the
 * leaf is shared by every example), or a tree of those with the structure of the value it describes
 * (a prefix: a number or null stands for every leaf below it).
 */
export type AxisSpec = number | null | readonly AxisSpec[] | { readonly [key: string]: AxisSpec };

export interface VmapOptions {
  /** Per argument (a list as long as the arguments), or one spec for all; default 0. */
  inAxes?: AxisSpec;
  /** Where the mapped axis goes in each output leaf; default 0. */
  outAxes?: AxisSpec;
}

/** The spec of every leaf of `def`, spreading numbers and nulls over the subtrees they stand for. */
function leafAxes(spec: AxisSpec, def: TreeDef, path: string, what: string): (number | null)[] {
  if (spec === null || typeof spec === "number") return globalThis.Array<number | null>(def.numLeaves).fill(spec);
  if (def.kind === "list" && globalThis.Array.isArray(spec)) {
    if (spec.length !== def.children.length) throw new TypeError(`vmap: ${what} at ${path || "the root"} lists ${spec.length} entries for ${def.children.length} values`);
    return def.children.flatMap((c, i) => leafAxes(spec[i]!, c, `${path}[${i}]`, what));
  }
  if (def.kind === "dict" && typeof spec === "object" && !globalThis.Array.isArray(spec)) {
    const s = spec as { readonly [key: string]: AxisSpec };
    return def.children.flatMap((c, i) => {
      const key = def.keys[i]!;
      if (!(key in s)) throw new TypeError(`vmap: ${what} at ${path || "the root"} has no entry for key "${key}"`);
      return leafAxes(s[key]!, c, path ? `${path}.${key}` : key, what);
    });
  }
  throw new TypeError(`vmap: ${what} at ${path || "the root"} is ${describeValue(spec)}, which does not match the value's structure ${def}`);
}

const normalizeAxis = (axis: number, rank: number, where: string): number => {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new RangeError(`vmap: axis ${axis} is out of range for ${where}`);
  return a;
};

/** Moves axis `from` to `to`. */
function moveAxis(x: Array, from: number, to: number): Array {
  if (from === to) return x;
  const perm = x.shape.map((_, i) => i).filter((i) => i !== from);
  perm.splice(to, 0, from);
  return np.transpose(x, perm);
}

/**
 * Batching as an interpreter of the traced program: stage `fn` on one example's types, then run its
 * equations on the whole batch, each by its primitive's batching rule (batch axis first), or as is
 * where no operand is batched.
 */
export function vmapFlat(fn: (...xs: Array[]) => PyTree, args: readonly Array[], batched: readonly boolean[], size: number): { outs: Array[]; outTree: TreeDef } {
  const avals = args.map((a, i) => (batched[i] ? new ShapedArray(a.shape.slice(1), a.dtype) : a.aval));
  const { closed, outTree } = traceFlat(fn, avals);
  const { jaxpr, consts } = closed;
  const env = new Map<Var, { value: Array; batched: boolean }>();
  jaxpr.constVars.forEach((v, i) => env.set(v, { value: consts[i]!, batched: false }));
  jaxpr.inBinders.forEach((v, i) => env.set(v, { value: args[i]!, batched: batched[i]! }));
  const read = (a: Atom) => (a instanceof Var ? env.get(a)! : { value: a, batched: false });
  for (const eqn of jaxpr.eqns) {
    atScope(eqn.scope, () => {
      const ins = eqn.inputs.map(read);
      const operands = ins.map((x) => x.value);
      if (isHigherOrderEqn(eqn)) {
        const arrays = operands.map((o) => (o instanceof Literal ? np.full([], o.value, o.aval.dtype) : o));
        const anyBatched = ins.some((x) => x.batched);
        const rules = rulesOf(eqn);
        const results = anyBatched ? rules.batch(arrays, ins.map((x) => x.batched), eqn.params, size) : rules.bind(arrays, eqn.params);
        eqnOuts(eqn).forEach((v, k) => env.set(v, { value: results[k]!, batched: anyBatched }));
        return;
      }
      if (!ins.some((x) => x.batched)) {
        env.set(eqn.out, { value: bind(eqn.primitive as Primitive, operands, eqn.params as never), batched: false });
        return;
      }
      const rule = batchRules[eqn.primitive as Primitive] as (ops: unknown[], b: boolean[], params: unknown, size: number) => Array;
      env.set(eqn.out, { value: rule(operands, ins.map((x) => x.batched), eqn.params, size), batched: true });
    });
  }
  const outs = jaxpr.outs.map((a) => {
    const { value, batched: b } = read(a);
    if (b) return value as Array;
    const v = value instanceof Literal ? np.full([], value.value, value.aval.dtype) : (value as Array);
    return np.broadcastTo(np.reshape(v, [1, ...v.shape]), [size, ...v.shape]);
  });
  return { outs, outTree };
}

/**
 * `vmap(f, { inAxes, outAxes })`: f mapped over an axis of its arguments, as one program rather than
 * a loop: `vmap(f)(xs)` equals stacking `f(xs[i])`. Arguments are pytrees; `inAxes` says which axis of
 * each leaf is mapped (null: shared), `outAxes` where the mapped axis goes in the outputs. Composes
 * with grad, jvp and jit (`jit(vmap(grad(f)))`).
 */
export function vmap(f: (...args: any[]) => PyTree, opts: VmapOptions = {}): (...args: any[]) => any {
  return (...args) =>
    eagerScope(() => {
      const [leaves, inTree] = flatten(args);
      const paths = leafPaths(inTree);
      const inSpec = opts.inAxes ?? 0;
      const axes = leafAxes(globalThis.Array.isArray(inSpec) ? inSpec : args.map(() => inSpec), inTree, "", "inAxes");
      let size: number | undefined;
      let sizeFrom = "";
      const flat = leaves.map((l, i) => {
        const x = l instanceof Array ? l : typeof l === "number" ? np.full([], l) : null;
        if (!x) throw new TypeError(`vmap: argument leaf ${paths[i]} is ${describeValue(l)}; expected an array or a number`);
        const axis = axes[i]!;
        if (axis === null) return x;
        const a = normalizeAxis(axis, x.ndim, `argument ${paths[i]} ${x.aval}`);
        const n = x.shape[a]!;
        if (size === undefined) [size, sizeFrom] = [n, `${paths[i]} ${x.aval} (axis ${a})`];
        else if (n !== size) throw new RangeError(`vmap: mapped axes differ in size: ${sizeFrom} has ${size}, ${paths[i]} ${x.aval} (axis ${a}) has ${n}`);
        return moveAxis(x, a, 0);
      });
      if (size === undefined) throw new TypeError("vmap: inAxes maps no argument (every leaf is null)");
      const { outs, outTree } = vmapFlat((...xs) => f(...unflatten<unknown[]>(inTree, xs)), flat, axes.map((a) => a !== null), size);
      const outAxes = leafAxes(opts.outAxes ?? 0, outTree, "", "outAxes");
      const placed = outs.map((o, i) => {
        const axis = outAxes[i];
        if (axis === null || axis === undefined) throw new TypeError(`vmap: outAxes must give every output an axis (unmapped outputs are not supported)`);
        return moveAxis(o, 0, normalizeAxis(axis, o.ndim, `output ${o.aval}`));
      });
      return unflatten(outTree, placed);
    }, args);
}

import { Array, makeJaxpr, ShapedArray, tree } from "@mmx/core";
import { assertInputShape } from "./define.js";
import type { Layer, ParamTree, Shape, Tree } from "./layer.js";
import { abstractOf } from "./spec.js";

/** A layer boundary: index 0 is the input, index i >= 1 the i-th tag in trace order. */
export interface Boundary {
  readonly index: number;
  /** The tag's name (the layer path); "input" for index 0. */
  readonly name: string;
  /** The shape there, batch first (-1 when the batch was given as -1). */
  readonly shape: readonly number[];
}

const abstractLeaves = (t: Tree) => tree.map((l: unknown) => (l instanceof Array ? l.aval : l), t);

/**
 * Lists a model's boundaries by tracing one evaluation-mode application with `makeJaxpr` and reading
 * the `tag` equations of the program: what `mixup(k)` will find, by construction. `params` (and
 * `state`) may be null: their shapes then come from `model.spec`, so nothing is allocated. The input
 * is an example array or a shape (batch first; -1 = any batch).
 */
export function boundaries(model: Layer, params: Tree | null, input: Array | Shape, state?: Tree | null): Boundary[] {
  const shape = input instanceof Array ? input.shape : input;
  if (!(input instanceof Array)) assertInputShape(shape, "boundaries");
  const batchFree = shape[0] === -1;
  const traced = batchFree ? [1, ...shape.slice(1)] : [...shape];
  const spec = params === null || (model.hasState && (state === undefined || state === null)) ? model.spec(traced) : null;
  const p = params === null ? abstractOf(spec!.params) : abstractLeaves(params);
  const s = model.hasState ? (state === undefined || state === null ? abstractOf(spec!.state) : abstractLeaves(state)) : {};
  const closed = makeJaxpr((pp: ParamTree, ss: Tree, x: Array) => model.apply(pp, x, { train: false, state: ss }).out)(p, s, new ShapedArray(traced, "float32"));
  const untrace = (sh: readonly number[]) => (batchFree && sh.length > 0 ? [-1, ...sh.slice(1)] : [...sh]);
  const found: Boundary[] = [{ index: 0, name: "input", shape: untrace(traced) }];
  for (const eqn of closed.jaxpr.eqns) {
    if (eqn.primitive === "tag") {
      found.push({ index: found.length, name: (eqn.params as { name: string }).name, shape: untrace(eqn.out.aval.shape) });
    }
  }
  return found;
}

/**
 * The boundary index of each name ("input" is 0), from the layer's static `boundaryNames` (the tests
 * check that they agree with the traced ones for every model): how a model states the layers the
 * paper mixes at as indices that `mixup(k)` takes.
 */
export function boundaryIndices(model: Layer, names: readonly string[]): number[] {
  const all = ["input", ...model.boundaryNames];
  return names.map((n) => {
    const i = all.indexOf(n);
    if (i < 0) throw new RangeError(`boundaryIndices: the ${model.kind} has no boundary ${JSON.stringify(n)}; it has ${all.join(", ")}`);
    return i;
  });
}

import { Array, boundariesOf, makeJaxpr, ShapedArray, tree, type Boundary } from "@mmx/core";
import { assertInputShape } from "./define.js";
import type { Layer, ParamTree, Shape, Tree } from "./layer.js";
import { abstractOf } from "./spec.js";

export type { Boundary } from "@mmx/core";

const abstractLeaves = (t: Tree) => tree.map((l: unknown) => (l instanceof Array ? l.aval : l), t);

/**
 * Lists a layer's boundaries by tracing one evaluation-mode application with `makeJaxpr` and reading
 * the `tag` equations of the program (core's `boundariesOf`, the one definition every transform
 * reads). `params` (and `state`) may be null: their shapes then come from `model.spec`, so nothing is
 * allocated. The input is an example array or a shape (batch first; -1 = any batch, kept as -1 in
 * the shapes listed).
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
  const xInput = closed.jaxpr.inBinders.length - 1; // x is the last argument, after the leaves of params and state
  const untrace = (sh: readonly number[]) => (batchFree && sh.length > 0 ? [-1, ...sh.slice(1)] : [...sh]);
  return boundariesOf(closed.jaxpr, xInput).map((b) => ({ ...b, shape: untrace(b.shape) }));
}

/**
 * The boundary index of each name ("input" is 0), from the layer's static `boundaryNames` (the tests
 * check that they agree with the traced ones for every model): how a model states its eligible
 * boundaries as the indices that transforms acting at a boundary take.
 */
export function boundaryIndices(model: Layer, names: readonly string[]): number[] {
  const all = ["input", ...model.boundaryNames];
  return names.map((n) => {
    const i = all.indexOf(n);
    if (i < 0) throw new RangeError(`boundaryIndices: the ${model.kind} has no boundary ${JSON.stringify(n)}; it has ${all.join(", ")}`);
    return i;
  });
}

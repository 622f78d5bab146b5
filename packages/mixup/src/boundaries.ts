import type { Array } from "@mmx/core";
import type { TracedModel } from "./trace-model.js";
import { traceModel } from "./trace-model.js";

/** A place where mixup can act: 0 is the input x, i >= 1 the i-th `tag` in trace order. */
export interface Boundary {
  readonly index: number;
  /** The tag's name (a layer path); "input" for 0. */
  readonly name: string;
  readonly shape: readonly number[];
}

/** A boundary as users name it: its index, or its tag name ("input" for 0). */
export type BoundaryRef = number | string;

export function boundariesOf(model: TracedModel): Boundary[] {
  const x = model.closed.jaxpr.inBinders[model.xInput]!;
  return [
    { index: 0, name: "input", shape: x.aval.shape },
    ...model.tags.map((e, i) => ({ index: i + 1, name: e.params.name, shape: e.out.aval.shape })),
  ];
}

/** Lists the boundaries of `f(params, x, ...rest)` for these example arguments, by tracing it. */
export function boundaries(f: (params: any, x: Array, ...rest: any[]) => unknown, ...exampleArgs: unknown[]): Boundary[] {
  return boundariesOf(traceModel("boundaries", f, exampleArgs));
}

export function describeBoundaries(list: readonly Boundary[]): string {
  return list.map((b) => `${b.index} ${b.name} [${b.shape.join(",")}]`).join("; ");
}

/** The index of a boundary given by index or name; an error that lists the boundaries otherwise. */
export function resolveBoundary(what: string, ref: BoundaryRef, list: readonly Boundary[]): number {
  if (typeof ref === "number") {
    if (Number.isInteger(ref) && ref >= 0 && ref < list.length) return ref;
    throw new RangeError(`${what}: layer ${ref} is out of range; the model has ${list.length} boundaries: ${describeBoundaries(list)}`);
  }
  const hits = list.filter((b) => b.name === ref);
  if (hits.length === 1) return hits[0]!.index;
  if (hits.length > 1) throw new RangeError(`${what}: the name ${JSON.stringify(ref)} marks ${hits.length} boundaries (${hits.map((b) => b.index).join(", ")}); pass an index`);
  throw new RangeError(`${what}: no boundary is named ${JSON.stringify(ref)}; the model has: ${describeBoundaries(list)}`);
}

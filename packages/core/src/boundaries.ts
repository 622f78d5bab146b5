import { Array } from "./array.js";
import type { Eqn, Jaxpr } from "./jaxpr.js";
import { describeValue } from "./jaxpr-trace.js";

/**
 * A boundary of a traced program: the one place the layer world (which writes `tag`s) and the
 * transforms (which act at them) meet. Index 0 is an input of the program (the one the caller names:
 * a model's x), index i >= 1 the i-th `tag` equation in program order.
 */
export interface Boundary {
  readonly index: number;
  /** The tag's name (a layer path); "input" for 0. */
  readonly name: string;
  /** The shape there, batch first. */
  readonly shape: readonly number[];
}

/** A boundary as users name it: its index, or its tag name ("input" for 0). */
export type BoundaryRef = number | string;

/** The `tag` equations of a program, in program order: boundary i >= 1 is the (i−1)-th. */
export function tagEquations(jaxpr: Jaxpr): Eqn<"tag">[] {
  return jaxpr.eqns.filter((e): e is Eqn<"tag"> => e.primitive === "tag");
}

/** The boundaries of a program whose boundary 0 is its input binder `input`. */
export function boundariesOf(jaxpr: Jaxpr, input: number): Boundary[] {
  const x = jaxpr.inBinders[input];
  if (!x) throw new RangeError(`boundariesOf: the program has ${jaxpr.inBinders.length} inputs, not ${input + 1}`);
  return [{ index: 0, name: "input", shape: x.aval.shape }, ...tagEquations(jaxpr).map((e, i) => ({ index: i + 1, name: e.params.name, shape: e.out.aval.shape }))];
}

/** The boundaries as one line: "0 input [5,3]; 1 hidden [5,4]". */
export function describeBoundaries(list: readonly Boundary[]): string {
  return list.map((b) => `${b.index} ${b.name} [${b.shape.join(",")}]`).join("; ");
}

/** The index of a boundary given by index or name; an error that names `what` and lists the boundaries otherwise. */
export function resolveBoundary(what: string, ref: BoundaryRef, list: readonly Boundary[]): number {
  if (typeof ref === "number") {
    if (Number.isInteger(ref) && ref >= 0 && ref < list.length) return ref;
    throw new RangeError(`${what}: layer ${ref} is out of range; the model has ${list.length} boundaries: ${describeBoundaries(list)}`);
  }
  if (typeof ref !== "string") {
    // The usual way here: a jitted step that takes k as an argument without making it static, so k is traced.
    const value: unknown = ref;
    const got = value instanceof Array
      ? `an array ${value.dtype}[${value.shape.join(",")}] (a number passed to a jitted function is traced: make that argument static, jit(f, { staticArgnums: [i] }))`
      : describeValue(value);
    throw new TypeError(`${what}: the boundary must be an index or a tag name, known when the model is traced; got ${got}`);
  }
  const hits = list.filter((b) => b.name === ref);
  if (hits.length === 1) return hits[0]!.index;
  if (hits.length > 1) throw new RangeError(`${what}: the name ${JSON.stringify(ref)} marks ${hits.length} boundaries (${hits.map((b) => b.index).join(", ")}); pass an index`);
  throw new RangeError(`${what}: no boundary is named ${JSON.stringify(ref)}; the model has: ${describeBoundaries(list)}`);
}

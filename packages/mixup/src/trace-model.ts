import { Array, ClosedJaxpr, makeJaxpr, tagEquations, tree, type Eqn } from "@mmx/core";

/**
 * Stages a model function `f(params, x, ...rest)` into a jaxpr over the array leaves of its
 * arguments; every other leaf (a flag, a number, a key) is closed over as it is. Transforms that act
 * at a layer boundary (mixup, capture) read the program from here.
 */
export interface TracedModel {
  readonly closed: ClosedJaxpr;
  /** The array leaves of the arguments, in the order of the jaxpr's inputs. */
  readonly inputs: Array[];
  /** Where x (argument 1) sits among the jaxpr's inputs: boundary 0. */
  readonly xInput: number;
  /** The `tag` equations in trace order: boundary i >= 1 is tags[i - 1]. */
  readonly tags: readonly Eqn<"tag">[];
}

export function traceModel(what: string, f: (...args: any[]) => unknown, args: unknown[]): TracedModel {
  const x = args[1];
  if (!(x instanceof Array)) throw new TypeError(`${what}: argument 1 (x) must be an array, got ${x === undefined ? "nothing" : typeof x}`);
  const [leaves, def] = tree.flatten(args);
  const arrayAt = leaves.flatMap((l, i) => (l instanceof Array ? [i] : []));
  const inputs = arrayAt.map((i) => leaves[i] as Array);
  const rebuild = (arrays: Array[]) => {
    const filled = [...leaves];
    arrayAt.forEach((at, j) => (filled[at] = arrays[j]));
    return tree.unflatten<unknown[]>(def, filled);
  };
  const closed = makeJaxpr((...arrays: Array[]) => f(...rebuild(arrays)))(...inputs);
  return { closed, inputs, xInput: inputs.indexOf(x), tags: tagEquations(closed.jaxpr) };
}

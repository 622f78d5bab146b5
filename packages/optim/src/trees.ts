import { Array, isTracer, isTracing, tidy, tree, type PyTree, type TreeDef } from "@mmx/core";

function describeLeaf(x: unknown): string {
  if (x instanceof Array) return `${x.dtype} [${x.shape.join(",")}]`;
  return x === null ? "null" : typeof x;
}

/** The leaves of a tree that must mirror params, with the tree's structure, leaf paths and its name in messages. */
export interface Leaves {
  leaves: Array[];
  def: TreeDef;
  paths: string[];
  /** "param" or "update": what one leaf is called in an error. */
  leafName: string;
}

/**
 * The params' leaves (or, with `name` "updates", a transformation's input), each a float32 Array (what
 * an optimizer can update), with their paths.
 */
export function paramLeaves(params: PyTree, what: string, name: "params" | "updates" = "params"): Leaves {
  const [leaves, def] = tree.flatten(params);
  const paths = tree.leafPaths(def);
  leaves.forEach((l, i) => {
    if (!(l instanceof Array) || l.dtype !== "float32") {
      throw new TypeError(`${what}: ${name} leaf ${paths[i]} is ${describeLeaf(l)}; optimizers update float32 Arrays only (keep other values out of the params tree)`);
    }
  });
  return { leaves: leaves as Array[], def, paths, leafName: name === "params" ? "param" : "update" };
}

/**
 * The leaves of a tree that must mirror params (grads, a moment buffer), checked leaf by leaf:
 * same structure (naming the first differing path), shapes and float32 dtype.
 */
export function matchingLeaves(other: PyTree, name: string, params: Leaves, what: string): Array[] {
  const [leaves, def] = tree.flatten(other);
  if (!def.equals(params.def)) {
    const ref = `${params.leafName}s`;
    throw new TypeError(`${what}: the ${name} tree does not match the ${ref} tree at ${tree.firstDifference(params.def, def)} (${ref} vs ${name})`);
  }
  leaves.forEach((l, i) => {
    const p = params.leaves[i]!;
    if (!(l instanceof Array) || l.dtype !== "float32" || l.ndim !== p.ndim || l.shape.some((d, j) => d !== p.shape[j])) {
      throw new TypeError(`${what}: ${name} leaf ${params.paths[i]} is ${describeLeaf(l)}, the ${params.leafName} is ${describeLeaf(p)}`);
    }
  });
  return leaves as Array[];
}

/** The step count kept in an optimizer state: an int32 scalar. */
export function checkCount(count: unknown, what: string): Array {
  if (!(count instanceof Array) || count.dtype !== "int32" || count.ndim !== 0) {
    throw new TypeError(`${what}: state.count must be an int32 scalar Array (from init), got ${describeLeaf(count)}`);
  }
  return count;
}

/** Runs eager work in a tidy scope (freeing intermediates); traced work needs none. */
export function scoped<T>(fn: () => T, args: unknown[]): T {
  const traced = isTracing() || tree.leaves(args).some((l) => isTracer(l));
  return traced ? fn() : tidy(fn);
}

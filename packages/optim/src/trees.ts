import { Array, isTracer, isTracing, tidy, tree, type PyTree, type TreeDef } from "@mmx/core";

function describeLeaf(x: unknown): string {
  if (x instanceof Array) return `${x.dtype} [${x.shape.join(",")}]`;
  return x === null ? "null" : typeof x;
}

/** The params' leaves, each a float32 Array (what an optimizer can update), with their paths. */
export function paramLeaves(params: PyTree, what: string): { leaves: Array[]; def: TreeDef; paths: string[] } {
  const [leaves, def] = tree.flatten(params);
  const paths = tree.leafPaths(def);
  leaves.forEach((l, i) => {
    if (!(l instanceof Array) || l.dtype !== "float32") {
      throw new TypeError(`${what}: params leaf ${paths[i]} is ${describeLeaf(l)}; optimizers update float32 Arrays only (keep other values out of the params tree)`);
    }
  });
  return { leaves: leaves as Array[], def, paths };
}

/**
 * The leaves of a tree that must mirror params (grads, a moment buffer), checked leaf by leaf:
 * same structure (naming the first differing path), shapes and float32 dtype.
 */
export function matchingLeaves(other: PyTree, name: string, params: { leaves: Array[]; def: TreeDef; paths: string[] }, what: string): Array[] {
  const [leaves, def] = tree.flatten(other);
  if (!def.equals(params.def)) {
    throw new TypeError(`${what}: the ${name} tree does not match the params tree at ${tree.firstDifference(params.def, def)} (params vs ${name})`);
  }
  leaves.forEach((l, i) => {
    const p = params.leaves[i]!;
    if (!(l instanceof Array) || l.dtype !== "float32" || l.ndim !== p.ndim || l.shape.some((d, j) => d !== p.shape[j])) {
      throw new TypeError(`${what}: ${name} leaf ${params.paths[i]} is ${describeLeaf(l)}, the param is ${describeLeaf(p)}`);
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

/** Rejects options this optimizer does not know (a `weight_decay` would otherwise be ignored silently). */
export function checkOptionNames(options: object, known: readonly string[], what: string): void {
  if (options === null || typeof options !== "object") throw new TypeError(`${what}: expected an options object, got ${options === null ? "null" : typeof options}`);
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new TypeError(`${what}: unknown option '${key}'; the options are ${known.join(", ")}`);
  }
}

export function inRange(value: unknown, name: string, what: string, lo: number, hi: number, hiOpen: boolean): number {
  const ok = typeof value === "number" && value >= lo && (hiOpen ? value < hi : value <= hi);
  if (!ok) throw new RangeError(`${what}: ${name} must lie in [${lo}, ${hi}${hiOpen ? ")" : "]"}, got ${String(value)}`);
  return value as number;
}

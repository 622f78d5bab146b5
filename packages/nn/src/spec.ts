import { Array, np, ShapedArray, tree } from "@mmx/core";
import { foldIn, type Key } from "@mmx/random";
import type { ParamTree } from "./layer.js";

/** Draws one parameter's initial value; `key` is already specific to the parameter. */
export type Initializer = (key: Key, shape: readonly number[]) => Array;

/**
 * One parameter or state entry before it exists: its shape and how to initialise it. Spec trees
 * (plain objects whose leaves are `ParamSpec`s) are what shape arithmetic, parameter counting and
 * params-tree validation work on, so none of them allocates.
 */
export class ParamSpec {
  readonly shape: readonly number[];
  constructor(
    shape: readonly number[],
    readonly initializer: Initializer,
    /** True when the initial value does not depend on the key (ones, zeros): no key is derived for it. */
    readonly constant = false,
  ) {
    this.shape = Object.freeze([...shape]);
  }
  get size(): number {
    return this.shape.reduce((n, d) => n * d, 1);
  }
}

/** A tree of `ParamSpec` leaves. */
export type SpecTree = unknown;

/** 32-bit FNV-1a of a string: how a parameter's path becomes data for `foldIn`. */
export function pathHash(path: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < path.length; i++) {
    h ^= path.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Creates the arrays of a spec tree. Each parameter's key is `foldIn(key, hash(its path))`, so a
 * parameter's initial value depends only on the key and its path: a slice of a sequential initialises
 * to the same values as the matching part of the whole.
 */
export function materialize(specs: SpecTree, key: Key): ParamTree {
  const [leaves, def] = tree.flatten(specs);
  const paths = tree.leafPaths(def);
  const values = leaves.map((leaf, i) => {
    if (!(leaf instanceof ParamSpec)) throw new TypeError(`internal error: spec leaf ${paths[i]} is not a ParamSpec`);
    return leaf.initializer(leaf.constant ? key : foldIn(key, pathHash(paths[i]!)), leaf.shape);
  });
  return tree.unflatten(def, values) as ParamTree;
}

/** The abstract values (ShapedArray leaves) of a spec tree: arguments for `makeJaxpr` that need no data. */
export function abstractOf(specs: SpecTree): unknown {
  return tree.map((s: ParamSpec) => new ShapedArray(s.shape, "float32"), specs);
}

/** Zeros of a spec tree's shapes: inside a trace they are equations, not allocations. */
export function zerosOf(specs: SpecTree): ParamTree {
  return tree.map((s: ParamSpec) => np.zeros(s.shape), specs) as ParamTree;
}

/** The number of scalars in a tree whose leaves are arrays, ShapedArrays or ParamSpecs. */
export function countParams(t: unknown): number {
  let n = 0;
  for (const leaf of tree.leaves(t)) {
    if (leaf instanceof Array || leaf instanceof ShapedArray || leaf instanceof ParamSpec) n += leaf.size;
    else throw new TypeError(`countParams: a leaf is ${typeof leaf}; expected arrays, ShapedArrays or ParamSpecs`);
  }
  return n;
}

/** Every leaf's shape by its path (`layer1.0.conv1.weight`): for listings and comparisons. */
export function shapesByPath(t: unknown): Record<string, number[]> {
  const [leaves, def] = tree.flatten(t);
  const paths = tree.leafPaths(def);
  const out: Record<string, number[]> = {};
  leaves.forEach((leaf, i) => {
    out[paths[i]!] = [...(leaf as { shape: readonly number[] }).shape];
  });
  return out;
}

import { currentScope, tag, type Array } from "@mmx/core";
import { defineCompound } from "../define.js";
import type { Layer, ParamTree, Shape } from "../layer.js";
import { shapeError } from "../errors.js";

export interface SequentialOptions {
  /**
   * Tag each child's output as a boundary named by its path (default true). A `block` (false) is one
   * unit: its inside is not addressable, its parent still tags its output.
   */
  tagChildren?: boolean;
  /** A declared input shape (-1 = any size), checked before any child runs: `[-1, 28, 28, 1]`. */
  inputShape?: Shape;
  name?: string;
  /** What messages call it (default "sequential" or "block"). */
  kind?: string;
}

/** A chain of layers with named children, sliceable. */
export interface Sequential extends Layer {
  /** The children's names, in order. */
  readonly names: readonly string[];
  readonly layers: Readonly<Record<string, Layer>>;
  /**
   * The children [start, end) as a sequential of their own, keeping their names, so its params,
   * state and boundary names are the matching parts of the whole (`pick` cuts them out). Negative
   * indices count from the end, as Array.prototype.slice.
   */
  slice(start?: number, end?: number): Sequential;
  /** The part of a params or state tree of a larger sequential (one with these children) that this one uses. */
  pick(t: unknown): { [name: string]: ParamTree };
}

function childrenOf(layers: readonly Layer[] | Readonly<Record<string, Layer>>): [string, Layer][] {
  const entries: [string, Layer][] = globalThis.Array.isArray(layers)
    ? (layers as readonly Layer[]).map((l, i) => [l?.name ?? String(i), l])
    : Object.entries(layers as Record<string, Layer>);
  const seen = new Set<string>();
  for (const [name, l] of entries) {
    if (!l || typeof l.apply !== "function" || typeof l.spec !== "function") {
      throw new TypeError(`sequential: child ${JSON.stringify(name)} is not a layer (got ${l === null ? "null" : typeof l})`);
    }
    if (seen.has(name)) throw new TypeError(`sequential: two children are named ${JSON.stringify(name)}; names must be unique`);
    seen.add(name);
  }
  return entries;
}

function matches(shape: Shape, declared: Shape): boolean {
  return shape.length === declared.length && declared.every((d, i) => d === -1 || d === shape[i]);
}

/**
 * Applies its children in order. Children come as a list (named by their `name`, else their index)
 * or as an object (named by its keys; note that JavaScript puts integer-like keys first, so use a
 * list for numbered children). Its params and state trees have one entry per child that has any.
 *
 * Boundaries: each child's output is `tag`ged with the child's path (`layer2.0` for child "0" of the
 * sequential at "layer2"), unless `tagChildren` is false.
 */
export function sequential(layers: readonly Layer[] | Readonly<Record<string, Layer>>, opts: SequentialOptions = {}): Sequential {
  return build(childrenOf(layers), opts);
}

function build(entries: [string, Layer][], opts: SequentialOptions): Sequential {
  if (entries.length === 0) throw new TypeError("sequential: needs at least one layer");
  const tagChildren = opts.tagChildren ?? true;
  const kind = opts.kind ?? (tagChildren ? "sequential" : "block");
  const names = entries.map(([n]) => n);
  const children = Object.fromEntries(entries);
  const boundaryNames = tagChildren ? entries.flatMap(([n, l]) => [...l.boundaryNames.map((b) => `${n}.${b}`), n]) : entries.flatMap(([n, l]) => l.boundaryNames.map((b) => `${n}.${b}`));
  const declared = opts.inputShape;
  const layer = defineCompound({
    kind,
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    children,
    boundaryNames,
    ...(declared
      ? {
          checkInput(shape: Shape) {
            if (!matches(shape, declared)) throw shapeError(kind, `[${declared.map((d, i) => (d === -1 ? (i === 0 ? "N" : "*") : d)).join(",")}]`, shape, "the model's declared input");
          },
        }
      : {}),
    forward(run, x) {
      let h: Array = x;
      for (const name of names) {
        h = run(name, h);
        if (tagChildren) {
          const scope = currentScope();
          h = tag(h, scope ? `${scope}.${name}` : name);
        }
      }
      return h;
    },
  });
  const seq: Sequential = {
    ...layer,
    names,
    layers: children,
    slice(start?: number, end?: number) {
      const picked = entries.slice(start, end);
      if (picked.length === 0) throw new RangeError(`sequential.slice(${start}, ${end}): no children in that range (there are ${entries.length})`);
      const first = picked[0]![0] === names[0];
      return build(picked, { tagChildren, kind, ...(first && declared ? { inputShape: declared } : {}) });
    },
    pick(t: unknown) {
      const obj = (t ?? {}) as Record<string, unknown>;
      return Object.fromEntries(names.filter((n) => n in obj).map((n) => [n, obj[n] as ParamTree]));
    },
  };
  return Object.freeze(seq);
}

/** A sequential whose inside is one unit: its children are not boundaries (a residual body, a conv block). */
export function block(layers: readonly Layer[] | Readonly<Record<string, Layer>>, opts: Omit<SequentialOptions, "tagChildren"> = {}): Sequential {
  return sequential(layers, { ...opts, tagChildren: false });
}

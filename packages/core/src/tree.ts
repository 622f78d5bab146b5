/**
 * Pytrees: nested plain arrays and plain objects whose leaves are anything else (arrays, numbers).
 * `null` and `undefined` are empty subtrees. Object keys are visited in sorted order, so that two
 * objects with the same keys flatten alike whatever order they were written in.
 */
export type PyTree = unknown;

type Kind = "leaf" | "list" | "dict" | "none";

export class TreeDef {
  readonly numLeaves: number;
  private readonly repr: string;
  constructor(
    readonly kind: Kind,
    readonly children: readonly TreeDef[] = [],
    readonly keys: readonly string[] = [],
    readonly noneValue: null | undefined = null,
  ) {
    this.numLeaves = kind === "leaf" ? 1 : children.reduce((n, c) => n + c.numLeaves, 0);
    this.repr =
      kind === "leaf"
        ? "*"
        : kind === "none"
          ? "None"
          : kind === "list"
            ? `[${children.map(String).join(",")}]`
            : `{${keys.map((k, i) => `${JSON.stringify(k)}:${children[i]}`).join(",")}}`;
  }
  toString(): string {
    return this.repr;
  }
  equals(other: TreeDef): boolean {
    return this.repr === other.repr;
  }
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== "object") return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

function kindOf(x: unknown): Kind {
  if (x === null || x === undefined) return "none";
  if (globalThis.Array.isArray(x)) return "list";
  if (isPlainObject(x)) return "dict";
  return "leaf";
}

function build(x: unknown, leaves: unknown[]): TreeDef {
  switch (kindOf(x)) {
    case "none":
      return new TreeDef("none", [], [], x as null | undefined);
    case "leaf":
      leaves.push(x);
      return new TreeDef("leaf");
    case "list":
      return new TreeDef(
        "list",
        (x as unknown[]).map((c) => build(c, leaves)),
      );
    case "dict": {
      const keys = Object.keys(x as object).sort();
      return new TreeDef(
        "dict",
        keys.map((k) => build((x as Record<string, unknown>)[k], leaves)),
        keys,
      );
    }
  }
}

/** The leaves of a tree in canonical order, and its structure. */
export function flatten(tree: PyTree): [unknown[], TreeDef] {
  const leaves: unknown[] = [];
  const def = build(tree, leaves);
  return [leaves, def];
}

export function leaves(tree: PyTree): unknown[] {
  return flatten(tree)[0];
}

export function structure(tree: PyTree): TreeDef {
  return flatten(tree)[1];
}

/** Rebuilds a tree of the given structure from leaves in canonical order. */
export function unflatten<T = PyTree>(def: TreeDef, leafValues: readonly unknown[]): T {
  if (leafValues.length !== def.numLeaves) {
    throw new TypeError(`unflatten: the structure ${def} has ${def.numLeaves} leaves, got ${leafValues.length}`);
  }
  let i = 0;
  const go = (d: TreeDef): unknown => {
    switch (d.kind) {
      case "leaf":
        return leafValues[i++];
      case "none":
        return d.noneValue;
      case "list":
        return d.children.map(go);
      case "dict": {
        const out: Record<string, unknown> = {};
        d.keys.forEach((k, j) => (out[k] = go(d.children[j]!)));
        return out;
      }
    }
  };
  return go(def) as T;
}

/** Path strings of every leaf, in canonical order: `layers[0].w`. */
export function leafPaths(def: TreeDef, prefix = ""): string[] {
  switch (def.kind) {
    case "leaf":
      return [prefix || "<root>"];
    case "none":
      return [];
    case "list":
      return def.children.flatMap((c, i) => leafPaths(c, `${prefix}[${i}]`));
    case "dict":
      return def.children.flatMap((c, i) => leafPaths(c, prefix ? `${prefix}.${def.keys[i]}` : def.keys[i]!));
  }
}

/** The first path at which two structures differ, with what each has there; null when equal. */
export function firstDifference(a: TreeDef, b: TreeDef, prefix = ""): string | null {
  const here = prefix || "<root>";
  if (a.kind !== b.kind) return `${here}: ${describe(a)} vs ${describe(b)}`;
  if (a.kind === "list" && a.children.length !== b.children.length) {
    return `${here}: a list of ${a.children.length} vs a list of ${b.children.length}`;
  }
  if (a.kind === "dict") {
    const missing = a.keys.find((k) => !b.keys.includes(k));
    if (missing !== undefined) return `${prefix ? `${prefix}.` : ""}${missing}: present vs missing`;
    const extra = b.keys.find((k) => !a.keys.includes(k));
    if (extra !== undefined) return `${prefix ? `${prefix}.` : ""}${extra}: missing vs present`;
  }
  for (let i = 0; i < a.children.length; i++) {
    const sub = a.kind === "list" ? `${prefix}[${i}]` : prefix ? `${prefix}.${a.keys[i]}` : a.keys[i]!;
    const d = firstDifference(a.children[i]!, b.children[i]!, sub);
    if (d) return d;
  }
  return null;
}

function describe(d: TreeDef): string {
  return d.kind === "leaf" ? "a leaf" : d.kind === "none" ? "null" : d.kind === "list" ? "a list" : "an object";
}

type Scalar = number | string | boolean | bigint | symbol;
type AnyFunction = (...args: never[]) => unknown;

/**
 * Whether an object type has methods. The run time tells a leaf from a node by its prototype, which a type
 * does not show; methods are the sign of a class instance (an mmx Array, a ShapedArray, a random Key), a leaf.
 */
type HasMethods<T> = { [K in keyof T]-?: T[K] extends AnyFunction ? K : never }[keyof T] extends never ? false : true;

/** Whether T is one of the types in Path, exactly (not merely assignable to one). */
type OnPath<T, Path extends unknown[]> = Path extends [infer Head, ...infer Tail]
  ? (<G>() => G extends Head ? 1 : 2) extends <G>() => G extends T ? 1 : 2
    ? true
    : OnPath<T, Tail>
  : false;

/**
 * The type of a tree's leaves, the union over its nodes: `Array` for a params tree, `number | Array` for
 * `{ lr: number; w: Array }`; `unknown` where the tree's type says nothing (a `PyTree`). Arrays and objects
 * without methods are nodes; a type met again below itself (a recursive tree type such as a params tree's)
 * adds no leaves. A plain object holding functions is a node at run time but counts as a leaf here.
 */
export type LeafOf<T, Path extends unknown[] = []> = unknown extends T
  ? unknown
  : T extends null | undefined
    ? never
    : T extends Scalar | AnyFunction
      ? T
      : OnPath<T, Path> extends true
        ? never
        : T extends readonly (infer E)[]
          ? LeafOf<E, [T, ...Path]>
          : HasMethods<T> extends true
            ? T
            : { [K in keyof T]-?: LeafOf<T[K], [T, ...Path]> }[keyof T];

/**
 * The tree T with every leaf replaced by an R, as `tree.map` returns it (new lists and objects, so none is
 * readonly); `unknown` stays `unknown`. A list that is not a tuple maps to `MappedTree<E, R>[]`, whose element
 * type TypeScript resolves lazily, so a recursive tree type maps without unbounded instantiation.
 */
export type MappedTree<T, R> = unknown extends T
  ? unknown
  : T extends null | undefined
    ? T
    : T extends Scalar | AnyFunction
      ? R
      : T extends readonly [] | readonly [unknown, ...unknown[]]
        ? { -readonly [K in keyof T]: MappedTree<T[K], R> }
        : T extends readonly (infer E)[]
          ? MappedTree<E, R>[]
          : HasMethods<T> extends true
            ? R
            : { -readonly [K in keyof T]: MappedTree<T[K], R> };

/**
 * `tree.map`'s callback, checked both ways as TypeScript checks a method's parameters: it may say its leaves
 * are narrower than the trees' types do (the leaves of a `PyTree` are what the caller knows them to be), but a
 * leaf type unrelated to the trees' fails to compile.
 */
export type LeafFn<Leaves extends unknown[], R> = { call(...leaves: Leaves): R }["call"];

/**
 * Applies `fn` leafwise over one or more trees of the same structure. The callback's parameters are the
 * trees' leaf types (`LeafOf`); the result is the first tree with each leaf replaced by what `fn` returns.
 */
export function map<T, Rest extends unknown[], R>(
  fn: LeafFn<[LeafOf<T>, ...{ [K in keyof Rest]: LeafOf<Rest[K]> }], R>,
  tree: T,
  ...rest: Rest
): MappedTree<T, R> {
  const [ls, def] = flatten(tree);
  const others = rest.map((t, j) => {
    const [l, d] = flatten(t);
    if (!d.equals(def)) {
      throw new TypeError(`tree.map: tree ${j + 1} does not match tree 0 at ${firstDifference(def, d)}`);
    }
    return l;
  });
  const call = fn as (...leaves: unknown[]) => R;
  return unflatten<MappedTree<T, R>>(
    def,
    ls.map((leaf, i) => call(leaf, ...others.map((o) => o[i]))),
  );
}

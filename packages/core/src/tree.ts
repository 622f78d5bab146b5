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

/** Applies `fn` leafwise over one or more trees of the same structure. */
export function map<T>(fn: (...leaves: any[]) => unknown, tree: T, ...rest: PyTree[]): T {
  const [ls, def] = flatten(tree);
  const others = rest.map((t, j) => {
    const [l, d] = flatten(t);
    if (!d.equals(def)) {
      throw new TypeError(`tree.map: tree ${j + 1} does not match tree 0 at ${firstDifference(def, d)}`);
    }
    return l;
  });
  return unflatten<T>(
    def,
    ls.map((leaf, i) => fn(leaf, ...others.map((o) => o[i]))),
  );
}

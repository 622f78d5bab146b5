import { Array, currentScope, tree } from "@mmx/core";
import { ParamSpec, type SpecTree } from "./spec.js";

const where = (kind: string, path: string) => (path ? `${kind} layer "${path}"` : `${kind} layer`);
const fmt = (shape: readonly number[]) => `[${shape.join(",")}]`;

/** An input whose shape does not fit a layer. Names the layer's path, the expected and the actual shape. */
export class LayerShapeError extends Error {
  constructor(
    readonly path: string,
    readonly kind: string,
    /** The expected shape as a pattern: `[N,H,W,3]`, `[...,784]` (letters and `...` stand for any size). */
    readonly expected: string,
    readonly actual: readonly number[],
    readonly detail?: string,
  ) {
    super(`${where(kind, path)}: the input has shape ${fmt(actual)}, expected ${expected}${detail ? ` (${detail})` : ""}`);
    this.name = "LayerShapeError";
  }

  /** The same error with another batch entry: how a trace at batch 1 reports a batch given as -1. */
  withBatch(batch: number): LayerShapeError {
    return new LayerShapeError(this.path, this.kind, this.expected, [batch, ...this.actual.slice(1)], this.detail);
  }
}

/** A params or state tree that does not match the model. Names the first differing path. */
export class ParamsMismatchError extends Error {
  constructor(
    readonly path: string,
    readonly kind: string,
    readonly what: "params" | "state",
    /** The full path of the first difference (`layer1.0.conv1.weight`). */
    readonly at: string,
    detail: string,
  ) {
    super(`${where(kind, path)}: the ${what} tree does not match the model at ${at}: ${detail}`);
    this.name = "ParamsMismatchError";
  }
}

/** A missing option (a key for dropout, the state for batch norm). */
export class LayerOptionError extends Error {
  constructor(path: string, kind: string, detail: string) {
    super(`${where(kind, path)}: ${detail}`);
    this.name = "LayerOptionError";
  }
}

export const shapeError = (kind: string, expected: string, actual: readonly number[], detail?: string) =>
  new LayerShapeError(currentScope(), kind, expected, actual, detail);

const join = (prefix: string, rest: string) => (prefix && rest ? `${prefix}.${rest}` : prefix || rest || "<root>");

/** `null`/`undefined` stand for an empty tree, so a parameterless layer accepts `{}` or nothing. */
const orEmpty = (t: unknown) => (t === null || t === undefined ? {} : t);

/**
 * Checks a leaf layer's params (or state) against its spec: the same structure, and every leaf an
 * array of the spec's shape. Throws a `ParamsMismatchError` naming the first difference.
 */
export function checkAgainstSpec(kind: string, what: "params" | "state", spec: SpecTree, given: unknown): void {
  const path = currentScope();
  const [specLeaves, specDef] = tree.flatten(orEmpty(spec));
  const [givenLeaves, givenDef] = tree.flatten(orEmpty(given));
  const diff = tree.firstDifference(specDef, givenDef);
  if (diff !== null) {
    const cut = diff.indexOf(": ");
    const at = diff.slice(0, cut);
    throw new ParamsMismatchError(path, kind, what, join(path, at === "<root>" ? "" : at), `${diff.slice(cut + 2)} (model vs given)`);
  }
  const paths = tree.leafPaths(specDef);
  specLeaves.forEach((s, i) => {
    const g = givenLeaves[i];
    const expected = (s as ParamSpec).shape;
    const at = join(path, paths[i] === "<root>" ? "" : paths[i]!);
    if (!(g instanceof Array)) {
      throw new ParamsMismatchError(path, kind, what, at, `expected an array of shape ${fmt(expected)}, got ${g === null ? "null" : typeof g}`);
    }
    if (g.dtype !== "float32" || g.ndim !== expected.length || g.shape.some((d, j) => d !== expected[j])) {
      throw new ParamsMismatchError(path, kind, what, at, `the model has f32${fmt(expected)}, given ${g.aval}`);
    }
  });
}

/**
 * Checks a compound layer's own level of a params (or state) tree: an object with exactly one entry
 * per child that has params (state). The children check their own subtrees.
 */
export function checkChildKeys(kind: string, what: "params" | "state", expected: readonly string[], given: unknown): Record<string, unknown> {
  const path = currentScope();
  const g = orEmpty(given);
  if (typeof g !== "object" || globalThis.Array.isArray(g) || g instanceof Array) {
    throw new ParamsMismatchError(path, kind, what, join(path, ""), `expected an object with entries ${JSON.stringify(expected)}, got ${globalThis.Array.isArray(g) ? "a list" : typeof g}`);
  }
  const obj = g as Record<string, unknown>;
  const missing = expected.find((k) => !(k in obj));
  if (missing !== undefined) throw new ParamsMismatchError(path, kind, what, join(path, missing), "present in the model, missing from the given tree");
  const extra = Object.keys(obj).find((k) => !expected.includes(k));
  if (extra !== undefined) throw new ParamsMismatchError(path, kind, what, join(path, extra), "not in the model (present in the given tree)");
  return obj;
}

export { fmt as formatShape };

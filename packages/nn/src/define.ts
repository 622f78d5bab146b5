import { Array, currentScope, makeJaxpr, namedScope, ShapedArray, type ClosedJaxpr } from "@mmx/core";
import { foldIn, type Key } from "@mmx/random";
import { checkAgainstSpec, checkChildKeys, LayerOptionError, LayerShapeError, shapeError } from "./errors.js";
import type { Applied, ApplyOptions, Initialized, Layer, LayerSpec, ParamTree, Shape, Tree } from "./layer.js";
import { materialize, pathHash, zerosOf } from "./spec.js";

/** What a leaf layer's forward function sees besides its params and input. */
export interface ForwardContext {
  readonly train: boolean;
  readonly key: Key | undefined;
  /** Its own state (checked against its spec); `{}` for a stateless layer. */
  readonly state: any;
}

export interface LeafDefinition {
  kind: string;
  name?: string;
  hasParams?: boolean;
  hasState?: boolean;
  needsKey?: boolean;
  /** Shapes and initialisers for this input shape; throws `shapeError(...)` when the input does not fit. */
  spec(inputShape: Shape, like?: Tree): LayerSpec;
  /** The computation, on validated params/state. Returns the output, or `{ out, state }` when stateful. */
  forward(params: any, x: Array, ctx: ForwardContext): Array | Applied;
}

function assertInput(kind: string, x: unknown): asserts x is Array {
  if (!(x instanceof Array)) {
    const path = currentScope();
    throw new TypeError(`${kind} layer${path ? ` "${path}"` : ""}: the input must be an mmx Array, got ${x === null ? "null" : typeof x}`);
  }
}

/** Checks an init shape: non-negative integers, except that the batch entry (first) may be -1. */
export function assertInputShape(shape: Shape, what: string): void {
  if (!globalThis.Array.isArray(shape) || !shape.every((d, i) => Number.isInteger(d) && (d >= 0 || (i === 0 && d === -1)))) {
    throw new TypeError(`${what}: an input shape is a list of sizes with the batch first (which may be -1), got ${JSON.stringify(shape)}`);
  }
}

function missingState(kind: string): LayerOptionError {
  return new LayerOptionError(currentScope(), kind, "keeps running statistics (batch norm): pass opts.state, the state from init or from the last apply, in training and in evaluation");
}

function missingKey(kind: string): LayerOptionError {
  return new LayerOptionError(currentScope(), kind, "training mode draws random numbers (dropout): pass opts.key, a random Key (or train: false)");
}

/** Builds a leaf layer: validation of input, params and state happens here, once, for every leaf. */
export function defineLeaf(def: LeafDefinition): Layer {
  const hasParams = def.hasParams ?? false;
  const hasState = def.hasState ?? false;
  const needsKey = def.needsKey ?? false;
  const layer: Layer = {
    kind: def.kind,
    ...(def.name !== undefined ? { name: def.name } : {}),
    hasParams,
    hasState,
    needsKey,
    boundaryNames: [],
    spec: (inputShape, like) => def.spec(inputShape, like),
    init(key, inputShape): Initialized {
      assertInputShape(inputShape, `${def.kind}.init`);
      const s = def.spec(inputShape);
      return { params: materialize(s.params, key), state: materialize(s.state, key), outputShape: s.outputShape };
    },
    apply(params, x, opts: ApplyOptions = {}): Applied {
      assertInput(def.kind, x);
      const s = def.spec(x.shape, params);
      checkAgainstSpec(def.kind, "params", s.params, params);
      if (hasState) {
        if (opts.state === undefined) throw missingState(def.kind);
        checkAgainstSpec(def.kind, "state", s.state, opts.state);
      }
      const train = opts.train ?? false;
      if (needsKey && train && opts.key === undefined) throw missingKey(def.kind);
      const r = def.forward(params ?? {}, x, { train, key: opts.key, state: opts.state ?? {} });
      return r instanceof Array ? { out: r, state: {} } : r;
    },
  };
  return Object.freeze(layer);
}

/** Applies a child layer by name: scoped (errors and equations carry its path), with its part of everything. */
export type RunChild = (name: string, x: Array) => Array;

export interface CompoundDefinition {
  kind: string;
  name?: string;
  children: Readonly<Record<string, Layer>>;
  /** The tags `forward` writes itself, relative to this layer, in order, children's included. */
  boundaryNames: readonly string[];
  forward(run: RunChild, x: Array, ctx: { readonly train: boolean }): Array;
  /** An extra check of the input shape (a model's declared input), before any child runs. */
  checkInput?(shape: Shape): void;
}

const validName = /^[^.\s]+$/;

/**
 * Builds a layer made of named children and a forward function that calls them through `run`. Its
 * params (state) tree has one entry per child with params (state). Its `spec` traces `forward` on
 * abstract values, so the tracer computes every shape a compound layer produces.
 */
export function defineCompound(def: CompoundDefinition): Layer {
  const names = Object.keys(def.children);
  for (const n of names) {
    if (!validName.test(n)) throw new TypeError(`${def.kind}: a child name must be non-empty and contain no "." or spaces, got ${JSON.stringify(n)}`);
  }
  const children = def.children;
  const paramChildren = names.filter((n) => children[n]!.hasParams);
  const stateChildren = names.filter((n) => children[n]!.hasState);
  const keyChildren = new Set(names.filter((n) => children[n]!.needsKey));
  const hasState = stateChildren.length > 0;
  const needsKey = keyChildren.size > 0;
  const child = (name: string): Layer => {
    const c = children[name];
    if (!c) throw new Error(`${def.kind}: forward ran a child ${JSON.stringify(name)} it does not have (children: ${names.join(", ")})`);
    return c;
  };

  const spec = (inputShape: Shape): LayerSpec => {
    def.checkInput?.(inputShape);
    const batchFree = inputShape[0] === -1;
    const traced = batchFree ? [1, ...inputShape.slice(1)] : inputShape;
    const params: Record<string, unknown> = {};
    const state: Record<string, unknown> = {};
    const ran = new Set<string>();
    const runAbstract: RunChild = (name, h) =>
      namedScope(name, () => {
        const c = child(name);
        ran.add(name);
        const s = c.spec(h.shape);
        if (c.hasParams) params[name] = s.params;
        if (c.hasState) state[name] = s.state;
        return c.apply(zerosOf(s.params), h, { train: false, state: zerosOf(s.state) }).out;
      });
    let closed: ClosedJaxpr;
    try {
      closed = makeJaxpr((x: Array) => def.forward(runAbstract, x, { train: false }))(new ShapedArray(traced, "float32"));
    } catch (e) {
      // Traced at batch 1 for an input of any batch (-1): report the batch as the caller gave it.
      if (batchFree && e instanceof LayerShapeError && e.actual[0] === 1) throw e.withBatch(-1);
      throw e;
    }
    const unused = names.filter((n) => !ran.has(n));
    if (unused.length > 0) throw new TypeError(`${def.kind}: forward never runs the child(ren) ${unused.map((n) => JSON.stringify(n)).join(", ")}; every child must be used`);
    const out = closed.outAvals[0]!.shape;
    return { params, state, outputShape: batchFree && out.length > 0 ? [-1, ...out.slice(1)] : [...out] };
  };

  const layer: Layer = {
    kind: def.kind,
    ...(def.name !== undefined ? { name: def.name } : {}),
    hasParams: paramChildren.length > 0,
    hasState,
    needsKey,
    boundaryNames: Object.freeze([...def.boundaryNames]),
    spec: (inputShape) => spec(inputShape),
    init(key, inputShape): Initialized {
      assertInputShape(inputShape, `${def.kind}.init`);
      const s = spec(inputShape);
      return { params: materialize(s.params, key), state: materialize(s.state, key), outputShape: s.outputShape };
    },
    apply(params, x, opts: ApplyOptions = {}): Applied {
      assertInput(def.kind, x);
      def.checkInput?.(x.shape);
      const p = checkChildKeys(def.kind, "params", paramChildren, params);
      let s: Record<string, unknown> = {};
      if (hasState) {
        if (opts.state === undefined) throw missingState(def.kind);
        s = checkChildKeys(def.kind, "state", stateChildren, opts.state);
      }
      const train = opts.train ?? false;
      if (needsKey && train && opts.key === undefined) throw missingKey(def.kind);
      const newState: Record<string, unknown> = {};
      const run: RunChild = (name, h) =>
        namedScope(name, () => {
          const c = child(name);
          const r = c.apply(c.hasParams ? (p[name] as ParamTree) : {}, h, {
            train,
            ...(keyChildren.has(name) && opts.key !== undefined ? { key: foldIn(opts.key, pathHash(name)) } : {}),
            ...(c.hasState ? { state: s[name] } : {}),
          });
          if (c.hasState) newState[name] = r.state;
          return r.out;
        });
      const out = def.forward(run, x, { train });
      return { out, state: newState };
    },
  };
  return Object.freeze(layer);
}

/** Gives a layer the name a parent list will use for it. */
export function named<L extends Layer>(layer: L, name: string): L {
  if (!validName.test(name)) throw new TypeError(`named: a layer name must be non-empty and contain no "." or spaces, got ${JSON.stringify(name)}`);
  return Object.freeze({ ...layer, name });
}

export { shapeError };

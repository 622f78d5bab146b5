import type { Array } from "@mmx/core";
import type { Key } from "@mmx/random";
import type { SpecTree } from "./spec.js";

/**
 * A shape with the batch axis first, as `x.shape` has it at apply time. The batch entry may be -1
 * ("any batch"): `init(key, [-1, 28, 28, 1])`. Layers never depend on the batch size.
 */
export type Shape = readonly number[];

/** A plain tree (nested objects / lists) of arrays: a layer's params or its state. */
export type Tree = unknown;

/**
 * A layer's params as `init` makes them and `apply` reads them: nested records and lists of arrays. Typed (where
 * `Tree` is not) so that handing a model anything else, a string or a number, fails to compile in user code and in
 * the transforms that carry the params type (`grad`, `mixup`, `trainStep`).
 */
export type ParamTree = Array | ParamList | ParamRecord;
/** A list of param trees (a `sequential` built from a list keys its children "0", "1", ... instead). */
export interface ParamList extends ReadonlyArray<ParamTree> {}
/** Param trees by name: a dense layer's `{ weight, bias }`, a sequential's children. */
export interface ParamRecord {
  readonly [name: string]: ParamTree;
}

export interface ApplyOptions {
  /** Training mode: batch norm uses batch statistics (and updates its running ones), dropout drops. */
  train?: boolean;
  /** Randomness for dropout in training mode. */
  key?: Key;
  /** The layer's state tree (batch-norm running statistics), as `init` returned it or `apply` last did. */
  state?: Tree;
}

export interface Applied {
  out: Array;
  /** The new state (`{}` for a layer without state); the old one is never mutated. */
  state: Tree;
}

/** What `spec` returns: the abstract parameters and state (shapes and initialisers) and the output shape. */
export interface LayerSpec {
  params: SpecTree;
  state: SpecTree;
  outputShape: Shape;
}

export interface Initialized {
  params: ParamTree;
  state: Tree;
  outputShape: Shape;
}

/**
 * A layer is plain data: functions and flags, no hidden state. Parameters and running statistics
 * live in trees that the caller owns and threads through `apply`.
 */
export interface Layer {
  /** What it is, for messages: "dense", "conv2d", "sequential", ... */
  readonly kind: string;
  /** The name a parent uses for it when given in a list (otherwise its index). */
  readonly name?: string;
  /** Whether it has trainable parameters (a parent leaves parameterless children out of its params tree). */
  readonly hasParams: boolean;
  /** Whether it keeps state (batch-norm running statistics). */
  readonly hasState: boolean;
  /** Whether training mode needs `opts.key` (dropout somewhere inside). */
  readonly needsKey: boolean;
  /**
   * The names its `apply` tags as boundaries, relative to the layer itself, in trace order (a
   * sequential's children, nested ones joined with "."). `boundaries()` reads the traced program
   * instead and is the source of truth; this static list lets a model state its paper boundaries as indices.
   */
  readonly boundaryNames: readonly string[];
  /**
   * The shapes and initialisers of the parameters and state for an input of this shape, without
   * allocating anything; throws a `LayerShapeError` when the input does not fit. Given `like` (a
   * params tree), sizes the layer cannot know from its options are read from it instead of the input.
   */
  spec(inputShape: Shape, like?: Tree): LayerSpec;
  /** Parameters (PyTorch's default initialisation) and initial state for inputs of `inputShape`. */
  init(key: Key, inputShape: Shape): Initialized;
  /** The output for input `x` and the new state. Pure: nothing is mutated. Traceable. */
  apply(params: ParamTree, x: Array, opts?: ApplyOptions): Applied;
}

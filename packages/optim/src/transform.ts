import type { PyTree } from "@mmx/core";

/**
 * A gradient transformation, in optax's shape: `init(params)` makes its state, `update(updates, state,
 * params?)` maps a tree of updates (the gradients, at the start of a chain) to new updates and a new
 * state, leaving its inputs alone. Pure, so a whole training step runs inside `jit`. Transformations
 * compose with `chain`; `applyUpdates(params, updates)` adds the final updates to the params.
 */
export interface GradientTransformation<S = PyTree> {
  init(params: PyTree): S;
  /** `params` is needed only by transformations that read them (weight decay). */
  update<U extends PyTree>(updates: U, state: S, params?: U): { updates: U; state: S };
}

/** The state of a transformation that keeps none. */
export type EmptyState = Record<string, never>;

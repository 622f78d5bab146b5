import type { PyTree } from "@mmx/core";
import { applyUpdates, type GradientTransformation } from "../index.js";

/** One whole step of an optimizer: its updates applied to the params. */
export function step<P extends PyTree, S>(opt: GradientTransformation<S>, grads: P, state: S, params: P): { params: P; state: S } {
  const { updates, state: next } = opt.update(grads, state, params);
  return { params: applyUpdates(params, updates), state: next };
}

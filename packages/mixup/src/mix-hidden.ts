import { tree, type Array } from "@mmx/core";
import { boundariesOf, resolveBoundary, type BoundaryRef } from "./boundaries.js";
import { mixAtBoundaries, mixAtBoundary, type MixFn } from "./mix-at.js";
import type { Placement } from "./placement.js";
import { traceModel } from "./trace-model.js";

/**
 * `f(params, x, ...rest)` with its hidden state at each given boundary replaced by that boundary's `mix(h)`, as the
 * placement says, and nothing else changed: the result is f's own (its output tree); the targets are the caller's
 * business. `mixup` is this at one boundary plus the targets mixed alike; the scanned training step mixes at every
 * eligible layer. Straddle warnings are keyed on `warnKey` (once per model function and boundary).
 */
export function mixHidden(what: string, mixes: readonly { layer: BoundaryRef; mix: MixFn }[], placement: Placement, warnKey: object) {
  return (f: (params: any, x: Array, ...rest: any[]) => unknown) =>
    (params: unknown, x: Array, ...rest: unknown[]): unknown => {
      const model = traceModel(what, f, [params, x, ...rest]);
      const found = boundariesOf(model);
      const at = mixes.map(({ layer, mix }) => ({ k: resolveBoundary(what, layer, found), mix }));
      const outs = at.length === 1 ? mixAtBoundary(what, model, at[0]!.k, at[0]!.mix, placement, warnKey) : mixAtBoundaries(what, model, at, placement, warnKey);
      return tree.unflatten(model.closed.outTree!, outs);
    };
}

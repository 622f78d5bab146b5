import type { PyTree } from "@mmx/core";
import type { GradientTransformation } from "./transform.js";
import { scoped } from "./trees.js";

/** The states of a list of transformations, position for position. */
export type ChainState<T extends readonly GradientTransformation<any>[]> = { -readonly [K in keyof T]: T[K] extends GradientTransformation<infer S> ? S : never };

/**
 * Transformations applied one after the other: each one's updates are the next one's input. The state
 * is the list of the parts' states, in order.
 */
export function chain<T extends readonly GradientTransformation<any>[]>(...parts: T): GradientTransformation<ChainState<T>> {
  parts.forEach((p, i) => {
    if (typeof p?.init !== "function" || typeof p?.update !== "function") {
      throw new TypeError(`chain: part ${i} is not a gradient transformation ({ init, update }), got ${p === null ? "null" : typeof p}`);
    }
  });
  return {
    init: (params) => parts.map((p) => p.init(params)) as ChainState<T>,
    update(updates, state, params) {
      if (!globalThis.Array.isArray(state) || state.length !== parts.length) {
        throw new TypeError(`chain.update: state must be a list of ${parts.length} part states (from init), got ${globalThis.Array.isArray(state) ? `a list of ${state.length}` : state === null ? "null" : typeof state}`);
      }
      return scoped(() => {
        let u: PyTree = updates;
        const states = parts.map((p, i) => {
          const r = p.update(u, state[i], params);
          u = r.updates;
          return r.state;
        });
        return { updates: u as typeof updates, state: states as ChainState<T> };
      }, [updates, state, params]);
    },
  };
}

import { DeviceArray, dispose, tree, type NDArray as Array } from "@mmx/core";
import { LiveStates, liveStatesThreshold } from "./train-step-live-states.js";

/** The part of a training state a step reads and replaces. */
interface StateLeaves {
  params: unknown;
  opt: unknown;
  modelState: unknown;
}

/**
 * Who frees a training step's old states, for `trainStep` and `trainSeeds` alike: with `donate: true` the step
 * frees the state passed to it (only arrays a step made: never what the user gave `init`); without, it only counts
 * the states it made that are still alive, to warn once when they pile up (`LiveStates`; `liveStatesWarning` sets
 * the count, or turns the warning off).
 */
export interface StateOwnership {
  /** Marks arrays as made by the step (its outputs, init's optimizer state): the only ones donation frees. */
  own<T>(made: T): T;
  /** After a step made `out` from `state` on the batch `x`, `y`: donates the old state, or counts the new one. */
  stepped(state: StateLeaves, out: StateLeaves, x: Array, y: Array): void;
}

/** The options of `trainStep` and `trainSeeds` that say who frees old states, as given (checked here). */
interface OwnershipOptions {
  donate?: unknown;
  liveStatesWarning?: unknown;
}

export function stateOwnership(owner: "trainStep" | "trainSeeds", opts: OwnershipOptions): StateOwnership {
  const donating = opts.donate ?? false;
  if (typeof donating !== "boolean") throw new TypeError(`${owner}: donate must be true or false, got ${JSON.stringify(donating)}`);
  const threshold = liveStatesThreshold(owner, opts.liveStatesWarning);
  const made = new WeakSet<object>();
  /** Counts live states where nothing is donated, unless the warning is off. */
  const live = donating || threshold === null ? null : new LiveStates(owner, threshold);
  const donatedBy = `donated to ${owner}({ donate: true }), whose step(state) frees the state passed to it (use the state it returns)`;
  const leavesOf = (s: StateLeaves) => tree.leaves([s.params, s.opt, s.modelState] as never);
  return {
    own(t) {
      for (const leaf of tree.leaves(t as never)) if (leaf instanceof DeviceArray) made.add(leaf);
      return t;
    },
    stepped(state, out, x, y) {
      if (!donating) {
        if (live) {
          const given = new Set([...leavesOf(state), x, y]);
          live.made(leavesOf(out).filter((leaf) => !given.has(leaf)));
        }
        return;
      }
      const kept = new Set([...leavesOf(out), x, y]);
      dispose(leavesOf(state).filter((leaf) => made.has(leaf as object) && !kept.has(leaf)), { by: donatedBy });
    },
  };
}

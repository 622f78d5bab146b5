import type { PyTree } from "@mmx/core";
import type { Schedule } from "./schedule.js";
import type { GradientTransformation } from "./transform.js";
import { matchingLeaves, paramLeaves } from "./trees.js";

/**
 * A named optimizer (sgd, adam, adamw): a gradient transformation whose updates are the whole step
 * (apply them with `applyUpdates`), with its learning rate as a schedule for logs. Its state is the
 * chain's list of part states: plain trees, so it can be saved.
 */
export interface Optimizer<S = OptimizerState> extends GradientTransformation<S> {
  /** The learning rate as a schedule of the step count (a constant one for a number). */
  readonly schedule: Schedule;
}

/** An optimizer's state: a tree of arrays (for the named optimizers, the list of their parts' states). */
export type OptimizerState = PyTree;

/** A learning rate: a number > 0 or a schedule of the step count. */
export type LearningRate = number | Schedule;

/**
 * A chain as a named optimizer: params and gradients are checked up front, so a mistake is named
 * against the params (`sgd.update: grads leaf w is ...`) before any part runs.
 */
export function namedOptimizer<S>(what: string, transform: GradientTransformation<S>, schedule: Schedule): Optimizer<S> {
  return {
    schedule,
    init(params) {
      paramLeaves(params, `${what}.init`);
      return transform.init(params);
    },
    update(grads, state, params) {
      const where = `${what}.update`;
      if (params === undefined) paramLeaves(grads, where, "updates");
      else matchingLeaves(grads, "grads", paramLeaves(params, where), where);
      return transform.update(grads, state, params);
    },
  };
}

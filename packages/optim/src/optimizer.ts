import type { Array, PyTree } from "@mmx/core";
import type { Schedule } from "./schedule.js";

/**
 * A pure optimizer, as optax's `{ init, update }`: no hidden state, so a whole training step
 * (gradients and update) can run inside `jit`. `update` returns new params and a new state and
 * leaves its inputs alone (free the old ones yourself in eager code).
 */
export interface Optimizer<S extends OptimizerState = OptimizerState> {
  /** The state for these params: the step count (0) and zeroed buffers shaped like the params. */
  init<P extends PyTree>(params: P): S;
  /** One step: `grads` must be a tree like `params` (float32 leaves of the same shapes). */
  update<P extends PyTree>(grads: P, state: S, params: P): { params: P; state: S };
  /** The learning rate as a schedule of the step count (a constant one for a number). */
  readonly schedule: Schedule;
}

export interface OptimizerState {
  /** Updates made so far: an int32 scalar, a program input under jit (no retrace per step). */
  readonly count: Array;
}

/** A learning rate: a number > 0 or a schedule of the step count. */
export type LearningRate = number | Schedule;

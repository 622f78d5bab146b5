import { Array, np, tree } from "@mmx/core";
import type { LearningRate } from "./optimizer.js";
import { asSchedule, type Schedule } from "./schedule.js";
import type { GradientTransformation } from "./transform.js";
import { checkCount, paramLeaves, scoped } from "./trees.js";

export interface ScheduleState {
  /** Updates made so far: an int32 scalar, a program input under jit (no retrace per step). */
  readonly count: Array;
}

/**
 * `updates · -lr(count)`: the step (descent, hence the sign) at the rate of a number or a schedule of
 * the step count. The last part of sgd, adam and adamw. `what` names it in error messages.
 */
export function scaleByLearningRate(lr: LearningRate, what = "scaleByLearningRate"): GradientTransformation<ScheduleState> & { readonly schedule: Schedule } {
  const schedule = asSchedule(lr, what);
  return {
    schedule,
    init: () => ({ count: np.full([], 0, "int32") }),
    update(updates, state) {
      const where = `${what}.update`;
      const u = paramLeaves(updates, where, "updates");
      const count = checkCount(state?.count, where);
      return scoped(() => {
        const step = np.neg(schedule(count));
        return { updates: tree.unflatten<typeof updates>(u.def, u.leaves.map((l) => np.mul(l, step))), state: { count: np.add(count, 1) } };
      }, [updates, state]);
    },
  };
}

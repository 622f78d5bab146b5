import { addDecayedWeights } from "./add-decayed-weights.js";
import { chain } from "./chain.js";
import { checkOptionNames } from "./checks.js";
import { namedOptimizer, type LearningRate, type Optimizer } from "./optimizer.js";
import { scaleByLearningRate, type ScheduleState } from "./scale-by-learning-rate.js";
import { traceMomentum, type TraceState } from "./trace-momentum.js";
import type { EmptyState } from "./transform.js";

export interface SgdOptions {
  lr: LearningRate;
  /** In [0, 1). 0 (the default) keeps no buffer. */
  momentum?: number;
  /** In [0, 1]: the buffer takes (1 - dampening)·g, except on the first step, as PyTorch. */
  dampening?: number;
  /** Nesterov momentum (needs momentum > 0 and no dampening). */
  nesterov?: boolean;
  /** L2 penalty: wd·param is added to the gradient before momentum. */
  weightDecay?: number;
}

/** The states of sgd's parts: weight decay (none), momentum, learning rate. */
export type SgdState = [EmptyState, TraceState, ScheduleState];

const OPTIONS = ["lr", "momentum", "dampening", "nesterov", "weightDecay"] as const;

/**
 * Stochastic gradient descent, step for step as `torch.optim.SGD`:
 * `chain(addDecayedWeights(wd), traceMomentum({ momentum, dampening, nesterov }), scaleByLearningRate(lr))`,
 * i.e. `g = grad + wd·p; buf = g` on the first step and `momentum·buf + (1 - dampening)·g` after;
 * `g = nesterov ? g + momentum·buf : buf` (with momentum); the update is `-lr·g`.
 */
export function sgd(options: SgdOptions): Optimizer<SgdState> {
  const what = "sgd";
  checkOptionNames(options, OPTIONS, what);
  const { lr, momentum = 0, dampening = 0, nesterov = false, weightDecay = 0 } = options;
  const rate = scaleByLearningRate(lr, what);
  const parts = chain(addDecayedWeights(weightDecay, what), traceMomentum({ momentum, dampening, nesterov }, what), rate);
  return namedOptimizer(what, parts, rate.schedule);
}

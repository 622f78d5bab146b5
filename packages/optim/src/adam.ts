import { addDecayedWeights } from "./add-decayed-weights.js";
import { chain } from "./chain.js";
import { checkOptionNames } from "./checks.js";
import { namedOptimizer, type LearningRate, type Optimizer } from "./optimizer.js";
import { scaleByAdam, type AdamMoments } from "./scale-by-adam.js";
import { scaleByLearningRate, type ScheduleState } from "./scale-by-learning-rate.js";
import type { EmptyState } from "./transform.js";

export interface AdamOptions {
  /** 1e-3 by default, as PyTorch. */
  lr?: LearningRate;
  /** [β1, β2], each in [0, 1); [0.9, 0.999] by default. */
  betas?: readonly [number, number];
  /** Added to the root of the second moment; 1e-8 by default. */
  eps?: number;
  /** Adam: an L2 penalty added to the gradient (0 by default); AdamW: decoupled decay (1e-2 by default). */
  weightDecay?: number;
}

/** Adam's parts' states: weight decay (none), moments, learning rate. */
export type AdamState = [EmptyState, AdamMoments, ScheduleState];
/** AdamW's parts' states: moments, decoupled weight decay (none), learning rate. */
export type AdamwState = [AdamMoments, EmptyState, ScheduleState];

const OPTIONS = ["lr", "betas", "eps", "weightDecay"] as const;

/**
 * Adam as `torch.optim.Adam`, weight decay as an L2 term of the gradient:
 * `chain(addDecayedWeights(wd), scaleByAdam({ betas, eps }), scaleByLearningRate(lr))`.
 */
export function adam(options: AdamOptions = {}): Optimizer<AdamState> {
  const what = "adam";
  checkOptionNames(options, OPTIONS, what);
  const { lr = 1e-3, betas, eps, weightDecay = 0 } = options;
  const rate = scaleByLearningRate(lr, what);
  return namedOptimizer(what, chain(addDecayedWeights(weightDecay, what), scaleByAdam({ betas, eps }, what), rate), rate.schedule);
}

/**
 * AdamW as `torch.optim.AdamW`, decay decoupled from the gradient (`p -= lr·wd·p` beside Adam's step):
 * `chain(scaleByAdam({ betas, eps }), addDecayedWeights(wd), scaleByLearningRate(lr))`.
 */
export function adamw(options: AdamOptions = {}): Optimizer<AdamwState> {
  const what = "adamw";
  checkOptionNames(options, OPTIONS, what);
  const { lr = 1e-3, betas, eps, weightDecay = 1e-2 } = options;
  const rate = scaleByLearningRate(lr, what);
  return namedOptimizer(what, chain(scaleByAdam({ betas, eps }, what), addDecayedWeights(weightDecay, what), rate), rate.schedule);
}

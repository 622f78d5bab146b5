/**
 * @mmx/optim: pure optimizers `{ init, update }` over pytrees (SGD as torch.optim.SGD, Adam, AdamW)
 * and learning-rate schedules of the step count, written with @mmx/core np operations so that a whole
 * training step runs inside `jit` with no retrace from one step to the next.
 */
export type { Optimizer, OptimizerState, LearningRate } from "./optimizer.js";
export { sgd, type SgdOptions, type SgdState } from "./sgd.js";
export { adam, adamw, type AdamOptions, type AdamState } from "./adam.js";
export {
  constant,
  piecewiseConstant,
  cosine,
  warmup,
  epochsToSteps,
  isSchedule,
  type Schedule,
  type PiecewiseConstantOptions,
  type CosineOptions,
  type WarmupOptions,
} from "./schedule.js";

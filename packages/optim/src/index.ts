/**
 * @mmx/optim: optimizers in optax's shape, over pytrees. Gradient transformations
 * `{ init(params) -> state, update(updates, state, params?) -> { updates, state } }` compose with
 * `chain` and apply with `applyUpdates`; `sgd`, `adam` and `adamw` are chains of them, step for step
 * as torch.optim. Learning rates are schedules of the step count. Everything is written with
 * @mmx/core np operations, so a whole training step runs inside `jit` with no retrace from one step
 * to the next.
 */
export type { GradientTransformation, EmptyState } from "./transform.js";
export { chain, type ChainState } from "./chain.js";
export { applyUpdates } from "./apply-updates.js";
export { scaleByLearningRate, type ScheduleState } from "./scale-by-learning-rate.js";
export { traceMomentum, type TraceMomentumOptions, type TraceState } from "./trace-momentum.js";
export { scaleByAdam, type ScaleByAdamOptions, type AdamMoments } from "./scale-by-adam.js";
export { addDecayedWeights } from "./add-decayed-weights.js";
export { clipByGlobalNorm } from "./clip-by-global-norm.js";
export { namedOptimizer, type Optimizer, type OptimizerState, type LearningRate } from "./optimizer.js";
export { sgd, type SgdOptions, type SgdState } from "./sgd.js";
export { adam, adamw, type AdamOptions, type AdamState, type AdamwState } from "./adam.js";
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

/**
 * @mmx/mixup: the `mixup(k, λ)` transform, its sibling `capture(k)`, and the Manifold Mixup and input
 * mixup policies that draw k, λ and the pairing permutation.
 */
export { mixup, type ModelFn, type Mixed, type MixedFn, type MixupOptions } from "./mixup.js";
export type { PlacementOptions, MixAt, BatchStatsPolicy } from "./placement.js";
export { capture } from "./capture.js";
export { boundaries, describeCuts, resolveBoundary, type Boundary, type BoundaryRef, type MixupBoundary } from "./boundaries.js";
export type { CrossingValue } from "./crossing.js";
export { interpolate } from "./interpolate.js";
export type { Lambda } from "./validate.js";
export { manifoldMixup, inputMixup, type MixupPolicy, type MixupDraw, type ManifoldMixupOptions } from "./policy.js";
export { trainStep, type TrainStep, type TrainStepOptions, type TrainState, type StepResult, type TrainableModel } from "./train-step.js";

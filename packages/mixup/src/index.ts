/**
 * @mmx/mixup: the `mixup(k, λ)` transform, its sibling `capture(k)`, and the Manifold Mixup and input
 * mixup policies that draw k, λ and the pairing permutation.
 */
export { mixup, type ModelFn, type Mixed, type MixedFn } from "./mixup.js";
export { capture } from "./capture.js";
export { boundaries, resolveBoundary, type Boundary, type BoundaryRef } from "./boundaries.js";
export { interpolate } from "./interpolate.js";
export type { Lambda } from "./validate.js";
export { manifoldMixup, inputMixup, type MixupPolicy, type MixupDraw, type ManifoldMixupOptions } from "./policy.js";
export { trainSeeds, type TrainSeeds, type TrainSeedsOptions, type SeedsStepResult } from "./train-seeds.js";
export { trainStep, type TrainStep, type TrainStepOptions, type TrainState, type StepResult, type TrainableModel } from "./train-step.js";

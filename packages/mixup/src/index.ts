/**
 * @mmx/mixup: the `mixup(k, λ)` transform, its sibling `capture(k)`, and the Manifold Mixup and input
 * mixup policies that draw k, λ and the pairing permutation.
 */
export { mixup, type ModelFn, type Mixed, type MixedFn, type MixupOptions } from "./mixup.js";
export { MIX_AT, BATCH_STATS_POLICIES, type PlacementOptions, type MixAt, type BatchStatsPolicy } from "./placement.js";
export type { Mixing, MixingKind, LerpMixing, MaskMixing, DirichletMixing, FeatureNoise } from "./mixing.js";
export { MIXING_RULES, type MixingRule } from "./mixing-rules.js";
export { keptFraction } from "./mix-mask.js";
export { capture } from "./capture.js";
export { boundaries, describeCuts, resolveBoundary, type Boundary, type BoundaryRef, type MixupBoundary } from "./boundaries.js";
export type { CrossingValue } from "./crossing.js";
export { interpolate } from "./interpolate.js";
export type { Lambda, PermInput } from "./validate.js";
export {
  manifoldMixup,
  inputMixup,
  LAMBDA_MODES,
  type MixupPolicy,
  type MixupDraw,
  type ManifoldMixupOptions,
  type LambdaMode,
  type CutMixOptions,
  type PatchUpOptions,
  type PatchUpMode,
  PATCHUP_MODES,
  type NoiseOptions,
  type AlphaSchedule,
  type Progress,
} from "./policy.js";
export { derangementIndices, drawPairing, type Pairing } from "./pairing.js";
export { cutmixBox, boxMask, blockMask, softenMask, keptArea, type Box } from "./masks.js";
export { trainSeeds, type TrainSeeds, type TrainSeedsOptions, type SeedsStepResult } from "./train-seeds.js";
export { patchUpTerm, type BatchLoss } from "./patchup-loss.js";
export { trainStep, type TrainStep, type TrainStepOptions, type TrainState, type StepResult, type TrainableModel } from "./train-step.js";
export { unscannable, type ScanProgress, type ScanResult, type ScanSteps } from "./scan-steps.js";

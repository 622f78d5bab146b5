/**
 * @mmx/testing: fast-check arbitraries (random models, permutations) and the cross-backend harness
 * that the property suites of mmx run on.
 */
export { allCloseReport, assertAllClose, type Tolerance } from "./close.js";
export { planBackends, describePlan, parseBackendList, propertyRuns, readTree, useTestBackend, RequestedBackendUnavailableError, EXECUTOR_ONLY_BACKENDS, type BackendPlan, type PlanOptions, type Read } from "./backends.js";
export { randomModel, inputFor, permutationOf, involutionOf, type RandomModel, type RandomModelOptions, type Activation } from "./models.js";
export { mixupCase, mixupCaseData, type MixupCase } from "./mixup-cases.js";
export { runConformance, assertConformance, formatConformance, type ConformanceReport, type ConformanceResult, type ConformanceOptions } from "./conformance/run.js";
export { CONFORMANCE_CHECKS } from "./conformance/checks.js";
export { ConformanceFailure, type ConformanceCheck, type ConformanceSubject, type CheckContext, type MixupTransform, type MixedOutput, type ModelFunction, type LayerRef, type MaskMixingArg, type CutOptions, type TransformFeatures } from "./conformance/types.js";

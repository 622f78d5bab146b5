/**
 * @mmx/attacks: white-box L∞ adversarial attacks built on `grad` with respect to the input (FGSM,
 * I-FGSM, PGD), each step a cached jitted program, and robust accuracy over a dataset.
 */
export { fgsm, type FgsmOptions } from "./fgsm.js";
export { ifgsm, type IfgsmOptions } from "./ifgsm.js";
export { pgd, type PgdOptions } from "./pgd.js";
export { robustAccuracy, type Batch, type RobustAccuracy, type RobustAccuracyOptions } from "./robust-accuracy.js";
export type { UniformSampler } from "./sign-step.js";
export type { Attack, AttackSettings, ClipRange, Loss, Model } from "./types.js";

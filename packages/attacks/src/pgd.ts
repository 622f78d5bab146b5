import { checkClip, checkEps, checkFunction, checkNorm, checkStepSize, checkSteps } from "./options.js";
import { signGradientAttack, type UniformSampler } from "./sign-step.js";
import type { Attack, ClipRange, Loss, Model } from "./types.js";

export interface PgdOptions {
  model: Model;
  loss: Loss;
  eps: number;
  stepSize: number;
  steps: number;
  /** Start from a uniform point of the eps-ball (Madry et al. 2018) rather than from x. Default true. */
  randomStart?: boolean;
  /** Only the L∞ ball is implemented. */
  norm?: "linf";
  /** The valid input range; null to leave inputs unclipped. Default [0, 1]. */
  clip?: ClipRange;
  /**
   * Required with randomStart: draws a float32 array uniform in [0, 1) of the given shape, once per
   * call (the attack disposes it). `hostUniform(seed)` is one; a sampler over @mmx/random keys is
   * another.
   */
  random?: UniformSampler;
}

/**
 * Projected gradient descent on the loss under an L∞ constraint (Madry et al. 2018): a random start
 * in the eps-ball, then `steps` signed-gradient steps of `stepSize`, each projected onto the ball and
 * the clip range. The paper notes Manifold Mixup does not help against it.
 */
export function pgd(opts: PgdOptions): Attack {
  const what = "pgd";
  checkFunction(opts.model, "model", what);
  checkFunction(opts.loss, "loss", what);
  const eps = checkEps(opts.eps, what);
  const stepSize = checkStepSize(opts.stepSize, what);
  const steps = checkSteps(opts.steps, what);
  const norm = checkNorm(opts.norm ?? "linf", what);
  const clip = checkClip(opts.clip === undefined ? [0, 1] : opts.clip, what);
  const randomStart = opts.randomStart ?? true;
  if (typeof randomStart !== "boolean") throw new TypeError(`${what}: randomStart must be a boolean, got ${typeof randomStart}`);
  if (randomStart && opts.random === undefined) {
    throw new TypeError(`${what}: randomStart needs a source of randomness: pass random: (shape) => a float32 array uniform in [0, 1) (for example hostUniform(seed)), or randomStart: false`);
  }
  if (opts.random !== undefined) checkFunction(opts.random, "random", what);
  return signGradientAttack({ model: opts.model, loss: opts.loss, random: opts.random, settings: { kind: "pgd", eps, stepSize, steps, clip, randomStart, norm } });
}

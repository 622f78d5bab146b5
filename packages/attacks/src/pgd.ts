import { foldIn, Key, uniform } from "@mmx/random";
import { checkCommonOptions, checkFunction, checkNorm } from "./options.js";
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
   * The random start's key (required with randomStart unless `random` is given). Call i of the
   * attack draws from `foldIn(key, i)`, so a dataset attacked in the same order is attacked the
   * same way every time, and no two batches share noise.
   */
  key?: Key;
  /**
   * Instead of `key`: a sampler of float32 arrays uniform in [0, 1) of the given shape, called once
   * per attack call (the attack disposes what it returns).
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
  const common = checkCommonOptions(opts, what);
  const norm = checkNorm(opts.norm ?? "linf", what);
  const randomStart = opts.randomStart ?? true;
  if (typeof randomStart !== "boolean") throw new TypeError(`${what}: randomStart must be a boolean, got ${typeof randomStart}`);
  if (opts.key !== undefined && opts.random !== undefined) throw new TypeError(`${what}: pass key or random, not both`);
  if (opts.key !== undefined && !(opts.key instanceof Key)) throw new TypeError(`${what}: key must be a Key from @mmx/random (key(seed), split, foldIn), got ${typeof opts.key}`);
  if (opts.random !== undefined) checkFunction(opts.random, "random", what);
  if (randomStart && opts.key === undefined && opts.random === undefined) {
    throw new TypeError(`${what}: randomStart needs a key (key: random.key(seed) from @mmx/random) or a random: (shape) => uniform [0, 1) sampler; or pass randomStart: false`);
  }
  const random = opts.random ?? (opts.key ? keyedUniform(opts.key) : undefined);
  return signGradientAttack({ model: opts.model, loss: opts.loss, random, settings: { kind: "pgd", ...common, randomStart, norm } });
}

/** Call i draws uniform(foldIn(key, i), shape). */
function keyedUniform(k: Key): UniformSampler {
  let calls = 0;
  return (shape) => uniform(foldIn(k, calls++), shape);
}

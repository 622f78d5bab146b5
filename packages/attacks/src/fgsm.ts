import { checkCommonOptions } from "./options.js";
import { signGradientAttack } from "./sign-step.js";
import type { Attack, ClipRange, Loss, Model } from "./types.js";

export interface FgsmOptions {
  model: Model;
  loss: Loss;
  /** The L∞ radius. */
  eps: number;
  /** The valid input range; null to leave inputs unclipped. Default [0, 1]. */
  clip?: ClipRange;
}

/**
 * The fast gradient sign method (Goodfellow et al. 2015), the white-box attack of the paper's
 * Table 7: one step x_adv = clip(x + eps·sign(∇x loss(model(params, x), y))).
 */
export function fgsm(opts: FgsmOptions): Attack {
  const common = checkCommonOptions(opts, "fgsm");
  return signGradientAttack({ model: opts.model, loss: opts.loss, settings: { kind: "fgsm", ...common, randomStart: false, norm: "linf" } });
}

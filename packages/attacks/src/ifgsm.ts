import { checkCommonOptions } from "./options.js";
import { signGradientAttack } from "./sign-step.js";
import type { Attack, ClipRange, Loss, Model } from "./types.js";

export interface IfgsmOptions {
  model: Model;
  loss: Loss;
  /** The L∞ radius every iterate is projected back into. */
  eps: number;
  /** The size of each signed-gradient step. */
  stepSize: number;
  steps: number;
  /** The valid input range; null to leave inputs unclipped. Default [0, 1]. */
  clip?: ClipRange;
}

/**
 * Iterative FGSM (Kurakin et al. 2017): `steps` signed-gradient steps of `stepSize` from x, each
 * projected onto the eps-ball around x and then onto the clip range.
 */
export function ifgsm(opts: IfgsmOptions): Attack {
  const common = checkCommonOptions(opts, "ifgsm");
  return signGradientAttack({ model: opts.model, loss: opts.loss, settings: { kind: "ifgsm", ...common, randomStart: false, norm: "linf" } });
}

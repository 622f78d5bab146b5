import { np, type Array } from "@mmx/core";
import type { FeatureNoise } from "./mixing.js";
import { checkBroadcastsTo } from "./validate.js";

/** Noisy Feature Mixup's noise on a mixed hidden state: `(1 + mult) ⊙ h + add` (either may be absent). */
export function addFeatureNoise(what: string, h: Array, noise: FeatureNoise | undefined): Array {
  if (!noise) return h;
  let out = h;
  if (noise.mult) {
    checkBroadcastsTo(what, "the multiplicative noise", noise.mult, h);
    out = np.add(out, np.mul(out, noise.mult));
  }
  if (noise.add) {
    checkBroadcastsTo(what, "the additive noise", noise.add, h);
    out = np.add(out, noise.add);
  }
  return out;
}

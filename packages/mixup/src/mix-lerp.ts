import type { Array } from "@mmx/core";
import { interpolate } from "./interpolate.js";
import type { LerpMixing } from "./mixing.js";
import type { MixingRule } from "./mixing-rules.js";
import { checkLambda, checkPerm } from "./validate.js";

/** λ·h + (1−λ)·h[perm] on the hidden state and on the targets alike. */
export const lerpRule: MixingRule<LerpMixing> = {
  check: (what, m, batch) => checkLambda(what, m.lambda, batch),
  perm: (what, perm, batch) => checkPerm(what, perm as Array | readonly number[], batch),
  mix: (_what, h, m, perm) => interpolate(h, m.lambda, perm),
  mixTargets: (y, m, perm) => interpolate(y, m.lambda, perm),
};

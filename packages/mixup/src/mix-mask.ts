import { Array, canReadSync, np } from "@mmx/core";
import { interpolate } from "./interpolate.js";
import type { MaskMixing } from "./mixing.js";
import type { MixingRule } from "./mixing-rules.js";
import { checkBroadcastsTo, checkPerm } from "./validate.js";

/** m ⊙ h + (1 − m) ⊙ h[perm]; the targets take λ_i = mean(m_i), the kept fraction of example i. */
export const maskRule: MixingRule<MaskMixing> = {
  check: (what, m, batch) => {
    const { mask } = m;
    if (!(mask instanceof Array) || mask.dtype !== "float32" || mask.ndim < 1) throw new TypeError(`${what}: the mask must be a float32 array with a batch axis, got ${mask instanceof Array ? mask.aval : typeof mask}`);
    if (mask.shape[0] !== batch && mask.shape[0] !== 1) throw new RangeError(`${what}: the mask has batch ${mask.shape[0]} (${mask.aval}) but x has ${batch} examples`);
    if (canReadSync(mask)) {
      const values = mask.dataSync();
      const bad = values.findIndex((v) => !(v >= 0 && v <= 1));
      if (bad >= 0) throw new RangeError(`${what}: mask values must lie in [0, 1] (1 keeps the example's own value), got ${values[bad]} at index ${bad}`);
    }
  },
  perm: (what, perm, batch) => checkPerm(what, perm as Array | readonly number[], batch),
  mix: (what, h, m, perm) => {
    checkBroadcastsTo(what, "the mask", m.mask, h);
    return np.add(np.mul(h, m.mask), np.mul(np.take(h, perm, 0), np.sub(1, m.mask)));
  },
  mixTargets: (y, m, perm) => interpolate(y, keptFraction(m.mask), perm),
};

/** The mean of each example's mask: f32[B] (or [1] for a mask shared by the batch). */
export function keptFraction(mask: Array): Array {
  const rows = mask.shape[0]!;
  return np.mean(np.reshape(mask, [rows, mask.size / rows]), { axis: 1 });
}

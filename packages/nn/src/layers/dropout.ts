import { np } from "@mmx/core";
import { bernoulli } from "@mmx/random";
import { defineLeaf } from "../define.js";
import type { Layer } from "../layer.js";

/**
 * Inverted dropout: in training mode each element is zeroed with probability `p` and the survivors are
 * scaled by 1 / (1 - p), so evaluation is the identity. The mask is drawn from `opts.key` (the same
 * key gives the same mask on every backend); training mode without a key is an error.
 */
export function dropout(p: number, opts: { name?: string } = {}): Layer {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout: p must lie in [0, 1], got ${p}`);
  return defineLeaf({
    kind: "dropout",
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    needsKey: p > 0,
    spec: (inputShape) => ({ params: {}, state: {}, outputShape: [...inputShape] }),
    forward(_p, x, { train, key }) {
      if (!train || p === 0) return x;
      if (p === 1) return np.zerosLike(x);
      const keep = bernoulli(key!, 1 - p, x.shape);
      return np.where(keep, np.mul(x, 1 / (1 - p)), 0);
    },
  });
}

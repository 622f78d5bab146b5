import { np, type Array } from "@mmx/core";

/**
 * λ·h + (1−λ)·h[perm] along the batch axis: the one formula mixup applies to hidden states and to
 * targets. λ is a number, a scalar array, or one value per example ([B], broadcast over the rest).
 */
export function interpolate(h: Array, lambda: number | Array, perm: Array): Array {
  const shuffled = np.take(h, perm, 0);
  if (typeof lambda === "number") return np.add(np.mul(h, lambda), np.mul(shuffled, 1 - lambda));
  const lam = lambda.ndim === 0 ? lambda : np.reshape(lambda, [lambda.shape[0]!, ...h.shape.slice(1).map(() => 1)]);
  return np.add(np.mul(h, lam), np.mul(shuffled, np.sub(1, lam)));
}

import { Array, np } from "@mmx/core";

/**
 * Label smoothing (Szegedy et al. 2016): target rows [B, C] become `(1 − ε)·y + ε/C`, so every class keeps
 * ε/C of the mass. Rows that sum to 1 still do. Written with np operations, so it traces and jits; mixup
 * applies it to the one-hot targets before mixing them (smoothing commutes with the mix: both are affine).
 *
 * @param targets float32 rows [B, C] (one-hot or soft).
 * @param epsilon the mass spread uniformly, a number in [0, 1]; 0 returns the rows unchanged.
 */
export function smoothLabels(targets: Array, epsilon: number): Array {
  if (!(targets instanceof Array) || targets.dtype !== "float32" || targets.ndim !== 2) {
    throw new TypeError(`smoothLabels: targets must be float32 rows [B, C], got ${targets instanceof Array ? targets.aval.toString() : typeof targets}`);
  }
  checkSmoothing(epsilon, "smoothLabels");
  if (epsilon === 0) return targets;
  const classes = targets.shape[1]!;
  return np.add(np.mul(targets, 1 - epsilon), epsilon / classes);
}

/** ε of label smoothing: a number in [0, 1]; the error names the caller. */
export function checkSmoothing(epsilon: unknown, what: string): number {
  if (typeof epsilon !== "number" || !(epsilon >= 0 && epsilon <= 1)) {
    throw new RangeError(`${what}: labelSmoothing must be a number in [0, 1], got ${typeof epsilon === "number" ? epsilon : JSON.stringify(epsilon)}`);
  }
  return epsilon;
}

import { np, vmap, type Array } from "@mmx/core";

/** A loss of (outputs [B, C], target rows [B, C]) that averages one value per example over the batch. */
export type BatchLoss = (out: Array, targets: Array) => Array;

/**
 * The term PatchUp's objective adds to the loss on the mixed targets (Faramarzi et al.; the official code trains
 * `ρ·ℓ(f, y_a) + (1 − ρ)·ℓ(f, y_b) + ℓ(f, W)` on its PatchUp steps). Per example i of a mask step:
 * ρ_i is the fraction of the mask that keeps the example unchanged (cells equal to 1), y_a its own target row, and
 * y_b the targets of the altered part: the partner's row where the cells were swapped (hard PatchUp, CutMix), the
 * cells' mix λ·y_i + (1 − λ)·y_perm[i] where they were interpolated (soft PatchUp). The term is the batch mean of
 * `ρ_i·ℓ(f_i, y_a,i) + (1 − ρ_i)·ℓ(f_i, y_b,i)`, each ℓ on one example (the loss mapped over the batch).
 *
 * For a loss linear in its targets (bceSoftmax, softCrossEntropy) this equals ℓ(f, W), W the mixed targets, so the
 * objective is twice the plain mask-mixing loss: the official code's extra term doubles the weight of PatchUp steps.
 */
export function patchUpTerm(loss: BatchLoss, out: Array, rows: Array, mask: Array, perm: Array): Array {
  const maskRows = mask.shape[0]!;
  const flat = np.reshape(mask, [maskRows, mask.size / maskRows]);
  const unchanged = np.mean(np.astype(np.greaterEqual(flat, 1), "float32"), { axis: 1 });
  const kept = np.mean(flat, { axis: 1 });
  // The weight the altered cells give the example itself: 0 where swapped, λ where interpolated.
  const altered = np.maximum(np.sub(1, unchanged), 1e-12);
  const ownInAltered = np.reshape(np.div(np.sub(kept, unchanged), altered), [maskRows, 1]);
  const partner = np.take(rows, perm, 0);
  const alteredTargets = np.add(np.mul(rows, ownInAltered), np.mul(partner, np.sub(1, ownInAltered)));
  const perExample = vmap((o: Array, t: Array) => loss(np.expandDims(o, 0), np.expandDims(t, 0)));
  const own = perExample(out, rows) as Array;
  const other = perExample(out, alteredTargets) as Array;
  return np.mean(np.add(np.mul(unchanged, own), np.mul(np.sub(1, unchanged), other)));
}

import { foldIn, permutationIndices, type Key } from "@mmx/random";

/**
 * How one draw (a λ, a mask, Dirichlet weights) is shared across a batch, with timm's names:
 * - `batch`: one draw for the whole batch (the paper's mixup).
 * - `elem`: one draw per example (each example i mixes with perm[i] under its own draw).
 * - `pair`: the batch is split into random disjoint pairs (i, perm[i]) with perm an involution, and both members of
 *   a pair share one draw: i gets λ·h_i + (1−λ)·h_perm[i] and perm[i] gets λ·h_perm[i] + (1−λ)·h_i, so the pair's
 *   two mixed examples weight h_i by λ and 1−λ, as timm's pair mode. With an odd batch one example is left unpaired
 *   and stays clean.
 * - `half`: ⌊B/2⌋ examples, chosen by the key, are mixed (each with its own draw and a partner from the whole batch);
 *   the other ⌈B/2⌉ stay clean: their input and targets are their own (λ = 1, an all-ones mask, weight 1 on
 *   themselves). A batch of one is all clean.
 */
export type LambdaMode = "batch" | "pair" | "elem" | "half";
export const LAMBDA_MODES: readonly LambdaMode[] = ["batch", "pair", "elem", "half"];

/** Who mixes with whom, and which examples share a draw. */
export interface Pairing {
  /** perm[i]: the partner of example i (i itself: no partner). */
  readonly perm: Int32Array;
  /** group[i]: the index of the draw example i uses, or -1: the example stays clean. */
  readonly group: Int32Array;
  /** How many draws the batch needs. */
  readonly groups: number;
}

/** Attempts at a derangement before the cyclic fallback; each succeeds with probability about 1/e. */
const DERANGEMENT_TRIES = 64;

/**
 * A uniformly random permutation of 0..n−1 without fixed points (rejection: permutations are drawn from `key`, then
 * `foldIn(key, t)`, until one has none). A batch of one has no derangement: it gets the identity (no partner).
 */
export function derangementIndices(key: Key, n: number): Int32Array {
  if (n <= 1) return Int32Array.from({ length: n }, (_, i) => i);
  for (let t = 0; t < DERANGEMENT_TRIES; t++) {
    const p = permutationIndices(t === 0 ? key : foldIn(key, t), n);
    if (p.every((v, i) => v !== i)) return p;
  }
  // Reached with probability below 1e-12: a random cyclic order is a derangement (not a uniform one).
  const order = permutationIndices(foldIn(key, DERANGEMENT_TRIES), n);
  const perm = new Int32Array(n);
  order.forEach((from, i) => (perm[from] = order[(i + 1) % n]!));
  return perm;
}

/** A permutation of the batch, with or without self-pairs. */
export function partnerIndices(key: Key, n: number, selfPairs: boolean): Int32Array {
  return selfPairs ? permutationIndices(key, n) : derangementIndices(key, n);
}

/** The pairing of a batch of `n` for a λ mode: `permKey` draws partners, `halfKey` the clean half. */
export function drawPairing(mode: LambdaMode, permKey: Key, halfKey: Key, n: number, selfPairs: boolean): Pairing {
  switch (mode) {
    case "batch":
      return { perm: partnerIndices(permKey, n, selfPairs), group: new Int32Array(n), groups: 1 };
    case "elem":
      return { perm: partnerIndices(permKey, n, selfPairs), group: Int32Array.from({ length: n }, (_, i) => i), groups: n };
    case "half": {
      const mixed = Math.floor(n / 2);
      const group = new Int32Array(n).fill(-1);
      permutationIndices(halfKey, n).slice(0, mixed).forEach((example, g) => (group[example] = g));
      return { perm: partnerIndices(permKey, n, selfPairs), group, groups: mixed };
    }
    case "pair": {
      const order = permutationIndices(permKey, n);
      const perm = Int32Array.from({ length: n }, (_, i) => i);
      const group = new Int32Array(n).fill(-1);
      for (let g = 0; 2 * g + 1 < n; g++) {
        const [a, b] = [order[2 * g]!, order[2 * g + 1]!];
        [perm[a], perm[b], group[a], group[b]] = [b, a, g, g];
      }
      return { perm, group, groups: Math.floor(n / 2) };
    }
  }
}

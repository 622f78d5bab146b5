import { bernoulliValues, randintValues, split, type Key } from "@mmx/random";

/**
 * Masks for mask mixing, drawn on the host: H×W grids of 0s and 1s (1: the example keeps its own value, 0: the
 * partner's), row-major. The kept fraction of a mask is its mean, computed from the integers: it is what the
 * targets are weighted by, so λ is exactly the kept area.
 */

/** A box of rows [top, bottom) and columns [left, right), clipped to the grid. */
export interface Box {
  readonly top: number;
  readonly bottom: number;
  readonly left: number;
  readonly right: number;
}

/**
 * CutMix's box (Yun et al. 2019) on an H×W grid. Its unclipped size is ⌊H·r⌋ × ⌊W·r⌋ with r = √(1 − λ) (so its area
 * is about 1 − λ), or with `minMax: [lo, hi]` a height drawn uniformly from the integers in [⌊H·lo⌋, ⌊H·hi⌋] and a
 * width likewise (timm's cutmix_minmax); its center is uniform over the grid, and the box is clipped at the border.
 * The λ the targets get is then the kept area of the clipped box (timm's correct_lam), not the λ drawn.
 */
export function cutmixBox(key: Key, height: number, width: number, lambda: number, minMax?: readonly [number, number]): Box {
  const [kSize, kRow, kCol] = split(key, 3) as [Key, Key, Key];
  let boxH: number;
  let boxW: number;
  if (minMax) {
    const [kh, kw] = split(kSize) as [Key, Key];
    boxH = randintValues(kh, [], Math.floor(height * minMax[0]), Math.floor(height * minMax[1]) + 1)[0]!;
    boxW = randintValues(kw, [], Math.floor(width * minMax[0]), Math.floor(width * minMax[1]) + 1)[0]!;
  } else {
    const ratio = Math.sqrt(1 - lambda);
    boxH = Math.floor(height * ratio);
    boxW = Math.floor(width * ratio);
  }
  const centerRow = randintValues(kRow, [], 0, height)[0]!;
  const centerCol = randintValues(kCol, [], 0, width)[0]!;
  const top = centerRow - Math.floor(boxH / 2);
  const left = centerCol - Math.floor(boxW / 2);
  const clip = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  return { top: clip(top, height), bottom: clip(top + boxH, height), left: clip(left, width), right: clip(left + boxW, width) };
}

/** The H×W mask of a box: 0 inside (pasted from the partner), 1 outside. */
export function boxMask(box: Box, height: number, width: number): Uint8Array {
  const mask = new Uint8Array(height * width).fill(1);
  for (let r = box.top; r < box.bottom; r++) mask.fill(0, r * width + box.left, r * width + box.right);
  return mask;
}

/**
 * PatchUp's block mask (Faramarzi et al. 2022), as DropBlock draws blocks: every position where a b×b block fits
 * starts a block with probability γ·HW / (b²·(H−b+1)(W−b+1)) (capped at 1), so that about a fraction γ of the grid
 * is covered (less where blocks overlap); the union of the blocks is 0 (the partner's features), the rest 1.
 * A block larger than the grid is shrunk to it.
 */
export function blockMask(key: Key, height: number, width: number, gamma: number, blockSize: number): Uint8Array {
  const b = Math.min(blockSize, height, width);
  const rows = height - b + 1;
  const cols = width - b + 1;
  const p = Math.min(1, (gamma * height * width) / (b * b * rows * cols));
  const starts = bernoulliValues(key, p, [rows * cols]);
  const mask = new Uint8Array(height * width).fill(1);
  for (let s = 0; s < starts.length; s++) {
    if (!starts[s]) continue;
    const [r0, c0] = [Math.floor(s / cols), s % cols];
    for (let r = r0; r < r0 + b; r++) mask.fill(0, r * width + c0, r * width + c0 + b);
  }
  return mask;
}

/**
 * Soft PatchUp's mask from a hard one: the swapped cells (0) get λ, so they interpolate the example and its partner
 * (λ·h + (1 − λ)·h[perm]) instead of taking the partner's value; kept cells stay 1.
 */
export function softenMask(mask: Uint8Array, lambda: number): Float32Array {
  return Float32Array.from(mask, (v) => (v ? 1 : lambda));
}

/** The mean of a mask: its kept fraction (for a soft mask, the weight the example gives itself). */
export function keptArea(mask: Uint8Array | Float32Array): number {
  let kept = 0;
  for (const v of mask) kept += v;
  return kept / mask.length;
}

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { key } from "@mmx/random";
import { blockMask, boxMask, cutmixBox, keptArea } from "./index.js";

describe("CutMix boxes", () => {
  const dims = fc.record({ h: fc.integer({ min: 1, max: 40 }), w: fc.integer({ min: 1, max: 40 }), lambda: fc.double({ min: 0, max: 1, noNaN: true }), seed: fc.integer({ min: 0, max: 1e6 }) });

  it("lie inside the image, and the mask's kept area is exactly 1 − the clipped box's area / HW", () => {
    fc.assert(
      fc.property(dims, ({ h, w, lambda, seed }) => {
        const box = cutmixBox(key(seed), h, w, lambda);
        expect(0 <= box.top && box.top <= box.bottom && box.bottom <= h).toBe(true);
        expect(0 <= box.left && box.left <= box.right && box.right <= w).toBe(true);
        const mask = boxMask(box, h, w);
        const kept = mask.reduce((s, v) => s + v, 0);
        expect(kept).toBe(h * w - (box.bottom - box.top) * (box.right - box.left));
        expect(keptArea(mask)).toBe(kept / (h * w));
        // Before clipping the box is ⌊H√(1−λ)⌋ × ⌊W√(1−λ)⌋: clipping can only shrink it.
        expect(box.bottom - box.top).toBeLessThanOrEqual(Math.floor(h * Math.sqrt(1 - lambda)));
        expect(box.right - box.left).toBeLessThanOrEqual(Math.floor(w * Math.sqrt(1 - lambda)));
      }),
      { numRuns: 300, seed: 5 },
    );
  });

  it("an unclipped box has the size λ asks for (a center far from the border)", () => {
    // Find keys whose box is not clipped: the area is then exactly ⌊H r⌋·⌊W r⌋.
    let unclipped = 0;
    for (let s = 0; s < 200; s++) {
      const box = cutmixBox(key(s), 32, 32, 0.75);
      if (box.top > 0 && box.left > 0 && box.bottom < 32 && box.right < 32) {
        unclipped++;
        expect([box.bottom - box.top, box.right - box.left]).toEqual([16, 16]);
      }
    }
    expect(unclipped).toBeGreaterThan(20);
  });

  it("minMax draws each side from [⌊H·lo⌋, ⌊H·hi⌋] before clipping (λ is then ignored)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (seed, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const box = cutmixBox(key(seed), 20, 10, 0.5, [lo, hi]);
        expect(box.bottom - box.top).toBeLessThanOrEqual(Math.floor(20 * hi));
        expect(box.right - box.left).toBeLessThanOrEqual(Math.floor(10 * hi));
      }),
      { numRuns: 200, seed: 6 },
    );
    const sizes = new Set<number>();
    for (let s = 0; s < 300; s++) {
      const box = cutmixBox(key(s), 64, 64, 0.5, [0.25, 0.25]);
      if (box.top > 0 && box.bottom < 64) sizes.add(box.bottom - box.top);
    }
    expect([...sizes]).toEqual([16]);
  });

  it("λ = 1 gives an empty box: the mask keeps everything", () => {
    const box = cutmixBox(key(3), 7, 9, 1);
    expect(keptArea(boxMask(box, 7, 9))).toBe(1);
  });
});

describe("PatchUp block masks", () => {
  it("are unions of whole b×b blocks; γ = 0 keeps everything; the swapped fraction grows with γ", () => {
    expect(keptArea(blockMask(key(0), 8, 8, 0, 3))).toBe(1);
    const mean = (gamma: number) => {
      let kept = 0;
      for (let s = 0; s < 100; s++) kept += keptArea(blockMask(key(s), 12, 12, gamma, 3));
      return kept / 100;
    };
    const [low, high] = [mean(0.1), mean(0.5)];
    expect(low).toBeGreaterThan(high);
    expect(1 - low).toBeGreaterThan(0.03);
    expect(1 - low).toBeLessThan(0.2);
  });

  it("every swapped cell lies in a b×b square of swapped cells", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 1e6 }), (h, w, b, seed) => {
        const mask = blockMask(key(seed), h, w, 0.4, b);
        const side = Math.min(b, h, w);
        const zero = (r: number, c: number) => r >= 0 && c >= 0 && r + side <= h && c + side <= w && [...globalThis.Array(side * side).keys()].every((t) => mask[(r + Math.floor(t / side)) * w + c + (t % side)] === 0);
        for (let r = 0; r < h; r++) {
          for (let c = 0; c < w; c++) {
            if (mask[r * w + c] !== 0) continue;
            let covered = false;
            for (let dr = 0; dr < side && !covered; dr++) for (let dc = 0; dc < side && !covered; dc++) covered = zero(r - dr, c - dc);
            expect(covered).toBe(true);
          }
        }
      }),
      { numRuns: 100, seed: 7 },
    );
  });
});

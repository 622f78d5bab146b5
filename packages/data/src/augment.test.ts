import { key } from "@mmx/random";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AUGMENTATION_PRESETS, augment, flipHorizontal, padCrop, randomCrop, randomFlip } from "./augment.js";
import { hostArray, type HostArray } from "./host-array.js";

/** Random NHWC images with distinct non-zero values, so that a pixel's value tells where it came from. */
const images = fc
  .record({ n: fc.integer({ min: 1, max: 4 }), h: fc.integer({ min: 1, max: 9 }), w: fc.integer({ min: 1, max: 9 }), c: fc.integer({ min: 1, max: 3 }) })
  .map(({ n, h, w, c }) => hostArray(Float32Array.from({ length: n * h * w * c }, (_, i) => i + 1), [n, h, w, c]));

const at = (x: HostArray, n: number, row: number, col: number, ch: number) => {
  const [, h, w, c] = x.shape as [number, number, number, number];
  return x.data[((n * h + row) * w + col) * c + ch]!;
};

describe("flipHorizontal", () => {
  it("mirrors columns, and flipping twice gives the image back", () => {
    fc.assert(
      fc.property(images, (x) => {
        const [n, h, w, c] = x.shape as [number, number, number, number];
        const once = flipHorizontal(x);
        for (let i = 0; i < n; i++) for (let r = 0; r < h; r++) for (let col = 0; col < w; col++) for (let k = 0; k < c; k++) {
          expect(at(once, i, r, col, k)).toBe(at(x, i, r, w - 1 - col, k));
        }
        expect(flipHorizontal(once).data).toEqual(x.data);
        expect(x.data[0]).toBe(1); // the input is untouched
      }),
      { numRuns: 30 },
    );
  });

  it("flips only the images it is told to", () => {
    const x = hostArray(Uint8Array.from({ length: 2 * 2 * 3 }, (_, i) => i), [2, 2, 3, 1]);
    expect([...flipHorizontal(x, [0, 1]).data]).toEqual([0, 1, 2, 3, 4, 5, 8, 7, 6, 11, 10, 9]);
  });
});

describe("padCrop / randomCrop", () => {
  it("keeps the shape; each pixel is the padded source at the offset, or zero padding", () => {
    fc.assert(
      fc.property(images, fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 1000 }), (x, padding, seed) => {
        const [n, h, w, c] = x.shape as [number, number, number, number];
        const dy = Int32Array.from({ length: n }, (_, i) => (seed + 3 * i) % (2 * padding + 1));
        const dx = Int32Array.from({ length: n }, (_, i) => (seed * 7 + i) % (2 * padding + 1));
        const out = padCrop(x, { dy, dx }, padding);
        expect(out.shape).toEqual(x.shape);
        for (let i = 0; i < n; i++) for (let r = 0; r < h; r++) for (let col = 0; col < w; col++) for (let k = 0; k < c; k++) {
          const sr = r + dy[i]! - padding;
          const sc = col + dx[i]! - padding;
          const inside = sr >= 0 && sr < h && sc >= 0 && sc < w;
          expect(at(out, i, r, col, k)).toBe(inside ? at(x, i, sr, sc, k) : 0);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("the centre offset is the identity", () => {
    const x = hostArray(Float32Array.from({ length: 2 * 5 * 5 * 3 }, (_, i) => i + 1), [2, 5, 5, 3]);
    expect(padCrop(x, { dy: [2, 2], dx: [2, 2] }, 2).data).toEqual(x.data);
  });

  it("randomCrop: every output pixel comes from the image at one shift per image within the padding, deterministic per key", () => {
    const padding = 4;
    const x = hostArray(Float32Array.from({ length: 64 * 8 * 8 * 1 }, (_, i) => i + 1), [64, 8, 8, 1]);
    const a = randomCrop(x, key(5), { padding });
    expect(randomCrop(x, key(5), { padding }).data).toEqual(a.data);
    expect(randomCrop(x, key(6), { padding }).data).not.toEqual(a.data);
    const shifts = new Set<string>();
    for (let i = 0; i < 64; i++) {
      // Recover the shift from any non-zero pixel (values are unique), then check the whole image.
      const first = a.data.subarray(i * 64, (i + 1) * 64).findIndex((v) => v !== 0);
      const v = a.data[i * 64 + first]! - 1 - i * 64;
      const [sy, sx] = [Math.floor(v / 8) - Math.floor(first / 8), (v % 8) - (first % 8)];
      expect(Math.abs(sy)).toBeLessThanOrEqual(padding);
      expect(Math.abs(sx)).toBeLessThanOrEqual(padding);
      shifts.add(`${sy},${sx}`);
      const expected = padCrop(hostArray(x.data.subarray(i * 64, (i + 1) * 64), [1, 8, 8, 1]), { dy: [sy + padding], dx: [sx + padding] }, padding);
      expect(a.data.subarray(i * 64, (i + 1) * 64)).toEqual(expected.data);
    }
    expect(shifts.size).toBeGreaterThan(20); // the offsets really vary per image
  });
});

describe("randomFlip / augment", () => {
  it("flips about the requested fraction of images, deterministically per key", () => {
    const x = hostArray(Float32Array.from({ length: 1000 * 2 }, (_, i) => i % 2), [1000, 1, 2, 1]);
    const flipped = (p: number) => {
      const out = randomFlip(x, key(9), { probability: p });
      let count = 0;
      for (let i = 0; i < 1000; i++) count += out.data[2 * i]!; // a flipped image starts with 1
      return count;
    };
    expect(flipped(0)).toBe(0);
    expect(flipped(1)).toBe(1000);
    expect(Math.abs(flipped(0.5) - 500)).toBeLessThan(80);
    expect(randomFlip(x, key(9)).data).toEqual(randomFlip(x, key(9)).data);
  });

  it("augment: crop then flip from one key; no flip when asked (digits, SVHN); a copy when both are off", () => {
    const x = hostArray(Float32Array.from({ length: 8 * 32 * 32 * 3 }, (_, i) => (i % 255) / 255), [8, 32, 32, 3]);
    const a = augment(x, key(1));
    expect(a.shape).toEqual([8, 32, 32, 3]);
    expect(augment(x, key(1)).data).toEqual(a.data);
    expect(augment(x, key(2)).data).not.toEqual(a.data);
    expect(augment(x, key(1), { flip: false }).data).not.toEqual(a.data);
    const none = augment(x, key(1), { padding: 0, flip: false });
    expect(none.data).toEqual(x.data);
    expect(none.data).not.toBe(x.data);
  });

  it("rejects bad input by name", () => {
    const flat = hostArray(new Float32Array(6), [2, 3]);
    expect(() => flipHorizontal(flat)).toThrow(/flipHorizontal: expected NHWC images \[N, H, W, C\], got shape \[2,3\]/);
    const x = hostArray(new Float32Array(4), [1, 2, 2, 1]);
    expect(() => padCrop(x, { dy: [5], dx: [0] }, 2)).toThrow(/offsets \(5, 0\) of image 0/);
    expect(() => randomCrop(x, key(0), { padding: -1 })).toThrow(/padding/);
    expect(() => randomFlip(x, key(0), { probability: 2 })).toThrow(/probability/);
  });
});

describe("AUGMENTATION_PRESETS", () => {
  it("never flips SVHN", () => {
    const x = hostArray(Float32Array.from({ length: 64 * 1 * 2 * 1 }, (_, i) => i % 2), [64, 1, 2, 1]);
    const out = augment(x, key(0), { ...AUGMENTATION_PRESETS.svhn, padding: 0 });
    expect(out.data).toEqual(x.data);
    expect(augment(x, key(0), { ...AUGMENTATION_PRESETS.cifar10, padding: 0 }).data).not.toEqual(x.data);
  });
});

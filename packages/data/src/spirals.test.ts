import { key } from "@mmx/random";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { spiralPoints, spirals } from "./spirals.js";

describe("spirals", () => {
  it("gives x float32 [n, 2] and balanced int32 labels [n] in [0, classes)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 1000 }), (n, classes, seed) => {
        const { x, y } = spirals({ n, classes }, key(seed));
        expect(x.shape).toEqual([n, 2]);
        expect(x.dtype).toBe("float32");
        expect(y.shape).toEqual([n]);
        expect(y.dtype).toBe("int32");
        const counts = new Array(classes).fill(0);
        for (const l of y.dataSync()) counts[l]++;
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        expect(counts.reduce((a, b) => a + b)).toBe(n);
        x.dispose();
        y.dispose();
      }),
      { numRuns: 20 },
    );
  });

  it("is deterministic per key and differs between keys", () => {
    const a = spiralPoints({ n: 64 }, key(1));
    const b = spiralPoints({ n: 64 }, key(1));
    const c = spiralPoints({ n: 64 }, key(2));
    expect(a.x.data).toEqual(b.x.data);
    expect(a.x.data).not.toEqual(c.x.data);
  });

  it("without noise, puts each point on its class's arm: the radius grows with the angle", () => {
    const classes = 3;
    const turns = 1.25;
    const { x, y } = spiralPoints({ n: 300, classes, noise: 0, turns }, key(7));
    for (let i = 0; i < 300; i++) {
      const px = x.data[2 * i]!;
      const py = x.data[2 * i + 1]!;
      const r = Math.hypot(px, py);
      expect(r).toBeLessThan(1);
      if (r < 1e-3) continue;
      // The arm's angle at radius r, rotated by 2πc/classes, must match the point's angle (mod 2π).
      const expected = 2 * Math.PI * (turns * r + y.data[i]! / classes);
      const diff = Math.atan2(py, px) - expected;
      const wrapped = Math.atan2(Math.sin(diff), Math.cos(diff));
      expect(Math.abs(wrapped)).toBeLessThan(1e-4 / r);
    }
  });

  it("is separable: a 1-nearest-neighbour classifier (leave one out) gets nearly all points right", () => {
    const accuracy = (noise: number) => {
      const n = 400;
      const { x, y } = spiralPoints({ n, noise }, key(3));
      let correct = 0;
      for (let i = 0; i < n; i++) {
        let best = Infinity;
        let label = -1;
        for (let j = 0; j < n; j++) {
          if (j === i) continue;
          const d = (x.data[2 * i]! - x.data[2 * j]!) ** 2 + (x.data[2 * i + 1]! - x.data[2 * j + 1]!) ** 2;
          if (d < best) [best, label] = [d, y.data[j]!];
        }
        if (label === y.data[i]) correct++;
      }
      return correct / n;
    };
    expect(accuracy(0.03)).toBeGreaterThan(0.9);
    // The check can fail: with noise far wider than the gap between arms the classes mix.
    expect(accuracy(1)).toBeLessThan(0.75);
  });

  it("rejects bad options by name", () => {
    expect(() => spiralPoints({ n: 0 }, key(0))).toThrow(/n must be a whole number >= 1, got 0/);
    expect(() => spiralPoints({ n: 10, classes: 1.5 }, key(0))).toThrow(/classes/);
    expect(() => spiralPoints({ n: 10, noise: -1 }, key(0))).toThrow(/noise/);
    expect(() => spiralPoints({ n: 10, turns: 0 }, key(0))).toThrow(/turns/);
  });
});

import { np } from "@mmx/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { classSpectra } from "./index.js";

const features = (rows: number[][]) => np.array(rows);

describe("classSpectra", () => {
  it("finds a single non-zero singular value for rank-1 data", () => {
    // rows a_i · v plus a class offset; centred: (a_i − ā) v, whose only singular value is ‖a − ā‖·‖v‖
    const v = [1, -2, 2]; // ‖v‖ = 3
    const a = [1, 2, 4, 5]; // ā = 3, ‖a − ā‖ = √10
    const rows = a.map((ai) => v.map((vj, j) => ai * vj + [10, 20, 30][j]!));
    const s = classSpectra(features(rows), [0, 0, 0, 0]);
    const [c] = s.classes;
    expect(c!.count).toBe(4);
    expect(c!.singularValues).toHaveLength(3);
    expect(c!.largest).toBeCloseTo(3 * Math.sqrt(10), 4);
    expect(c!.restSum).toBeLessThan(1e-4);
  });

  it("recovers a known diagonal decomposition", () => {
    // centred already; XᵀX = diag(18, 2, 0): singular values √18, √2, 0
    const rows = [[3, 0, 0], [-3, 0, 0], [0, 1, 0], [0, -1, 0]];
    const s = classSpectra(features(rows), [1, 1, 1, 1], { numClasses: 2 });
    const c = s.classes[1]!;
    expect(c.singularValues[0]).toBeCloseTo(Math.sqrt(18), 6);
    expect(c.singularValues[1]).toBeCloseTo(Math.sqrt(2), 6);
    expect(c.singularValues[2]).toBeCloseTo(0, 6);
    expect(c.restSum).toBeCloseTo(Math.sqrt(2), 6);
    // class 0 has no examples: listed, but not averaged
    expect(s.classes[0]!.count).toBe(0);
    expect(s.classes[0]!.largest).toBeNaN();
    expect(s.mean).toEqual({ largest: c.largest, restSum: c.restSum, classes: 1 });
  });

  it("averages the per-class numbers and flattens higher-rank features", () => {
    const x = np.array([[[1, 0], [0, 0]], [[-1, 0], [0, 0]], [[0, 0], [0, 2]], [[0, 0], [0, -2]], [[0, 5], [0, 0]]]);
    const s = classSpectra(x, np.array([0, 0, 1, 1, 2], { dtype: "int32" }));
    expect(s.classes.map((c) => c.count)).toEqual([2, 2, 1]);
    expect(s.classes[0]!.largest).toBeCloseTo(Math.SQRT2, 6);
    expect(s.classes[1]!.largest).toBeCloseTo(2 * Math.SQRT2, 6);
    expect(s.classes[2]!.largest).toBe(0); // one example: nothing left after centring
    expect(s.mean.largest).toBeCloseTo((3 * Math.SQRT2) / 3, 6);
    expect(s.mean.classes).toBe(3);
  });

  it("is invariant to row order and to a constant added per class", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 12 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 10, maxLength: 10 }),
        (n, d, seed, offsets) => {
          const rows = globalThis.Array.from({ length: n }, (_, i) => globalThis.Array.from({ length: d }, (_, j) => Math.sin(seed + i * 3.1 + j * 1.3)));
          const y = rows.map((_, i) => (i * 7 + seed) % 3);
          const base = classSpectra(features(rows), y, { numClasses: 3 });
          const order = rows.map((_, i) => i).sort((a, b) => Math.sin(a * 9.7 + seed) - Math.sin(b * 9.7 + seed));
          const shuffled = classSpectra(features(order.map((i) => rows[i]!)), order.map((i) => y[i]!), { numClasses: 3 });
          const shifted = classSpectra(features(rows.map((r, i) => r.map((v, j) => v + offsets[(y[i]! * 3 + j) % 10]!))), y, { numClasses: 3 });
          for (const other of [shuffled, shifted]) {
            other.classes.forEach((c, k) => {
              const ref = base.classes[k]!;
              expect(c.count).toBe(ref.count);
              c.singularValues.forEach((s, i) => expect(Math.abs(s - ref.singularValues[i]!)).toBeLessThan(1e-5));
            });
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it("says what is wrong with its input", () => {
    expect(() => classSpectra(np.array([1, 2, 3]), [0, 0, 0])).toThrow(/\[N, D\].*float32\[3\]/);
    expect(() => classSpectra(np.array([[1], [2]]), [0, 3], { numClasses: 2 })).toThrow(/label 1 is 3.*\[0, 2\)/);
    expect(() => classSpectra(np.array([[1], [2]]), [0, 1], { numClasses: 0 })).toThrow(/numClasses must be a positive integer, got 0/);
    expect(() => classSpectra(np.zeros([0, 4]), [])).toThrow(/hold no values/);
  });
});

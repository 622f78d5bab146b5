import { np, tidy } from "@mmx/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ece, reliabilityTable } from "./index.js";

/** Rows [p, 1 − p] with `right` of them labelled 0 (predicted correctly) and the rest 1. */
function calibratedGroup(p: number, n: number, right: number): { rows: number[][]; labels: number[] } {
  return { rows: globalThis.Array.from({ length: n }, () => [p, 1 - p]), labels: globalThis.Array.from({ length: n }, (_, i) => (i < right ? 0 : 1)) };
}

describe("ece", () => {
  it("is zero for perfectly calibrated data", () => {
    // In each confidence bin the accuracy equals the confidence (values exact in float32).
    const groups = [calibratedGroup(0.75, 4, 3), calibratedGroup(0.625, 8, 5), calibratedGroup(1, 3, 3), calibratedGroup(0.5, 2, 1)];
    const probs = np.array(groups.flatMap((g) => g.rows));
    const y = groups.flatMap((g) => g.labels);
    expect(ece(probs, y)).toBe(0);
    expect(ece(probs, y, { bins: 4 })).toBe(0);
  });

  it("matches a hand-computed value", () => {
    // confidences 0.9 (right), 0.6 (wrong), 0.8 (right), 0.95 (wrong)
    const probs = np.array([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8], [0.95, 0.05]]);
    const y = [0, 1, 1, 1];
    // 15 bins: each example alone in its bin: (|1 − .9| + |0 − .6| + |1 − .8| + |0 − .95|) / 4
    expect(ece(probs, y)).toBeCloseTo(1.85 / 4, 6);
    // 2 bins: all four in (0.5, 1]: mean confidence 0.8125, accuracy 0.5
    expect(ece(probs, y, { bins: 2 })).toBeCloseTo(0.3125, 6);
    const table = reliabilityTable(probs, y, { bins: 2 });
    expect(table[0]).toMatchObject({ lower: 0, upper: 0.5, count: 0 });
    expect(table[0]!.confidence).toBeNaN();
    expect(table[1]).toMatchObject({ lower: 0.5, upper: 1, count: 4, accuracy: 0.5 });
    expect(table[1]!.confidence).toBeCloseTo(0.8125, 6);
    expect(table[1]!.gap).toBeCloseTo(0.3125, 6);
  });

  it("takes logits as well as probabilities", () => {
    const logits = np.array([[2, 0.5, -1], [0.3, 0.1, 0.2], [-2, 4, 1], [0, 0, 3]]);
    const y = [0, 2, 1, 1];
    const probs = tidy(() => np.softmax(logits));
    expect(ece(logits, y)).toBeCloseTo(ece(probs, y), 6);
    expect(ece(logits, y, { input: "logits" })).toBeCloseTo(ece(probs, y, { input: "probs" }), 6);
    // Probabilities read as logits are a different model: the answer changes.
    expect(Math.abs(ece(probs, y, { input: "logits" }) - ece(probs, y))).toBeGreaterThan(1e-3);
  });

  it("rejects bad options", () => {
    const p = np.array([[0.5, 0.5]]);
    expect(() => ece(p, [0], { bins: 0 })).toThrow(/bins must be a positive integer, got 0/);
    expect(() => ece(p, [0], { input: "odds" as never })).toThrow(/input must be 'auto', 'logits' or 'probs', got "odds"/);
  });
});

describe("reliabilityTable", () => {
  it("puts a confidence on a bin edge in the lower bin, (m−1)/M < conf <= m/M as in Guo et al.", () => {
    const probs = np.array([[0.5, 0.5], [0.75, 0.25], [1, 0], [0.25, 0.75]]);
    expect(reliabilityTable(probs, [0, 0, 0, 1], { bins: 4 }).map((b) => b.count)).toEqual([0, 1, 2, 1]);
  });

  it("bins every example once, and its gaps give the ece", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 1000 }),
        (n, c, bins, seed) => {
          const values = globalThis.Array.from({ length: n * c }, (_, i) => Math.sin(seed * 13 + i * 2.3) * 4);
          const y = globalThis.Array.from({ length: n }, (_, i) => (seed + i * 5) % c);
          const x = np.array(values, { shape: [n, c] });
          const table = reliabilityTable(x, y, { bins });
          expect(table).toHaveLength(bins);
          expect(table.reduce((s, b) => s + b.count, 0)).toBe(n);
          const fromTable = table.reduce((s, b) => s + (b.count > 0 ? (b.count / n) * Math.abs(b.gap) : 0), 0);
          expect(fromTable).toBeCloseTo(ece(x, y, { bins }), 10);
          for (const b of table) {
            if (b.count > 0) {
              expect(b.confidence).toBeGreaterThan(b.lower - 1e-12);
              expect(b.confidence).toBeLessThanOrEqual(b.upper + 1e-12);
            }
          }
          x.dispose();
        },
      ),
      { numRuns: 40 },
    );
  });
});

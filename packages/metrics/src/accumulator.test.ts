import { np } from "@mmx/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { accuracy, ece, error, metricsAccumulator, nll, reliabilityTable } from "./index.js";

describe("metricsAccumulator", () => {
  it("over any batch split equals the one-shot metrics", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 2, max: 5 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.array(fc.integer({ min: 1, max: 29 }), { maxLength: 5 }),
        (n, c, seed, rawCuts) => {
          const values = globalThis.Array.from({ length: n * c }, (_, i) => Math.cos(seed * 3 + i * 1.7) * 5);
          const y = globalThis.Array.from({ length: n }, (_, i) => (seed * 7 + i * 3) % c);
          const cuts = [0, ...new Set(rawCuts.filter((k) => k < n))].sort((a, b) => a - b).concat(n);
          const acc = metricsAccumulator();
          for (let b = 0; b + 1 < cuts.length; b++) {
            const [lo, hi] = [cuts[b]!, cuts[b + 1]!];
            const batch = np.array(values.slice(lo * c, hi * c), { shape: [hi - lo, c] });
            acc.add(batch, np.array(y.slice(lo, hi), { dtype: "int32" }));
            batch.dispose();
          }
          const all = np.array(values, { shape: [n, c] });
          const r = acc.result();
          expect(r.count).toBe(n);
          expect(r.accuracy).toBe(accuracy(all, y));
          expect(r.error).toBe(error(all, y));
          expect(r.nll).toBeCloseTo(nll(all, y), 12);
          expect(r.ece).toBeCloseTo(ece(all, y, { input: "logits" }), 12);
          const table = reliabilityTable(all, y, { input: "logits" });
          expect(r.reliability.map((b) => b.count)).toEqual(table.map((b) => b.count));
          all.dispose();
        },
      ),
      { numRuns: 40 },
    );
  });

  it("holds one-hot labels and says when batches disagree or nothing was added", () => {
    const acc = metricsAccumulator({ bins: 5 });
    expect(() => acc.result()).toThrow(/no examples were added/);
    acc.add(np.array([[3, 0], [0, 1]]), np.oneHot(np.array([0, 0], { dtype: "int32" }), 2));
    expect(acc.result().accuracy).toBe(0.5);
    expect(acc.result().reliability).toHaveLength(5);
    expect(() => acc.add(np.array([[1, 2, 3]]), [0])).toThrow(/this batch has 3 classes \(\[1,3\]\), earlier batches had 2/);
    expect(() => metricsAccumulator({ bins: 1.5 })).toThrow(/bins must be a positive integer/);
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { np } from "@mmx/core";
import { accuracy, ece, error, metricsAccumulator, nll } from "./index.js";

describe("NaN scores make every metric NaN: a NaN row is neither a right nor a wrong prediction", () => {
  it("accuracy, error, nll, ece and the accumulator, wherever the NaN sits", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 2, max: 4 }), fc.nat(), fc.array(fc.nat({ max: 3 }), { minLength: 6, maxLength: 6 }), (rows, cols, at, ys) => {
        const values = Array.from({ length: rows * cols }, (_, i) => Math.sin(i));
        values[at % values.length] = Number.NaN;
        const scores = np.array(values, { shape: [rows, cols] });
        const labels = ys.slice(0, rows).map((y) => y % cols);
        for (const metric of [accuracy, error, nll, ece]) expect(metric(scores, labels)).toBeNaN();
        const acc = metricsAccumulator();
        acc.add(scores, labels);
        const r = acc.result();
        for (const v of [r.accuracy, r.error, r.nll, r.ece]) expect(v).toBeNaN();
      }),
      { numRuns: 30 },
    );
  });

  it("labels that are not numbers are refused, not read with Number()", () => {
    const scores = np.array([[1, 0], [0, 1]]);
    expect(() => accuracy(scores, ["0", "1"] as never)).toThrow(/^accuracy: label 0 is "0", not a number$/);
    expect(() => error(scores, [true, false] as never)).toThrow(/^error: label 0 is true, not a number$/);
    expect(() => accuracy(scores, np.array([[Number.NaN, 0], [0, 1]]))).toThrow(/^accuracy: one-hot label row 0 holds NaN$/);
  });
});

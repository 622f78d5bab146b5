import fc from "fast-check";
import { tidy } from "@mmx/core";
import { describe, expect, test } from "vitest";
import { beta, betaValues } from "./beta.js";
import { key } from "./key.js";
import { ksPValue, ksStatistic, moments } from "./testing-only/stats.js";

describe("beta", () => {
  test("Beta(α, α) has mean 1/2 and variance 1/(4(2α+1)) for α in [0.1, 4] (fixed key)", () => {
    const n = 4000;
    fc.assert(
      fc.property(fc.double({ min: 0.1, max: 4, noNaN: true }), (alpha) => {
        const xs = betaValues(key(42), alpha, alpha, [n]);
        const { mean, variance } = moments(xs);
        const v = 1 / (4 * (2 * alpha + 1));
        // 5 standard errors: the mean's is sqrt(v / n); the sample variance's is
        // v * sqrt((2 - 6 / (2α + 3)) / n), since a symmetric Beta(α, α) has excess kurtosis
        // -6 / (2α + 3). With n = 4000 that is at most 0.036 for the mean and 0.0095 for the variance
        // (at α = 0.1); a correct sampler fails a check with probability ~6e-7.
        expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(v / n));
        expect(Math.abs(variance - v)).toBeLessThan(5 * v * Math.sqrt((2 - 6 / (2 * alpha + 3)) / n));
      }),
      { numRuns: 25 },
    );
  });

  test("small α gives values strictly inside (0, 1): no NaN, no exact 0 or 1", () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-3, max: 0.5, noNaN: true }), fc.integer({ min: 0, max: 1e6 }), (alpha, seed) => {
        for (const x of betaValues(key(seed), alpha, alpha, [300])) {
          expect(x).toBeGreaterThan(0);
          expect(x).toBeLessThan(1);
        }
      }),
      { numRuns: 30 },
    );
  });

  test.each([
    ["Beta(1, 1) = U(0, 1)", 1, 1, (x: number) => x],
    ["Beta(2, 2)", 2, 2, (x: number) => x * x * (3 - 2 * x)],
    ["Beta(1/2, 1/2), the arcsine law", 0.5, 0.5, (x: number) => (2 / Math.PI) * Math.asin(Math.sqrt(x))],
    ["Beta(2, 1)", 2, 1, (x: number) => x * x],
    ["Beta(1, 3)", 1, 3, (x: number) => 1 - (1 - x) ** 3],
  ])("Kolmogorov-Smirnov: %s", (_name, a, b, cdf) => {
    const xs = betaValues(key(7), a, b, [4000]);
    // Fixed key; rejects at p < 1e-4.
    expect(ksPValue(ksStatistic(xs, cdf), xs.length)).toBeGreaterThan(1e-4);
  });

  test("the Array form holds the host values", () => {
    tidy(() => {
      const x = beta(key(3), 0.4, 0.4, [5]);
      expect(x.shape).toEqual([5]);
      expect(x.dataSync()).toEqual(betaValues(key(3), 0.4, 0.4, [5]));
    });
  });

  test("bad parameters are errors naming them", () => {
    expect(() => beta(key(0), 0, 1)).toThrow(/beta: a must be a finite number > 0, got number 0/);
    expect(() => beta(key(0), 1, -2)).toThrow(/beta: b must be a finite number > 0, got number -2/);
    expect(() => betaValues(key(0), NaN, 1)).toThrow(/betaValues: a must be a finite number > 0, got number NaN/);
    expect(() => beta(key(0), 1, 1, [-1])).toThrow(/beta: shape entries/);
    expect(() => beta(7 as never, 1, 1)).toThrow(/beta: expected a Key .* got number 7/);
  });
});

import fc from "fast-check";
import { tidy } from "@mmx/core";
import { describe, expect, test } from "vitest";
import { gamma, gammaValues } from "./gamma.js";
import { foldIn, key } from "./key.js";
import { gammaQ, ksPValue, ksStatistic, moments } from "./testing-only/stats.js";

describe("gamma", () => {
  test("mean and variance equal a (fast-check over a in [0.1, 10], fixed key)", () => {
    const n = 4000;
    fc.assert(
      fc.property(fc.double({ min: 0.1, max: 10, noNaN: true }), (a) => {
        const { mean, variance } = moments(gammaValues(key(100), a, [n]));
        // Tolerances are 5 standard errors: the mean's is sqrt(a / n); the sample variance's is
        // a * sqrt((2 + 6 / a) / n) (excess kurtosis of Gamma(a) is 6 / a). A correct sampler fails one
        // check with probability ~6e-7.
        expect(Math.abs(mean - a)).toBeLessThan(5 * Math.sqrt(a / n));
        expect(Math.abs(variance - a)).toBeLessThan(5 * a * Math.sqrt((2 + 6 / a) / n));
      }),
      { numRuns: 25 },
    );
  });

  test.each([0.3, 1, 2.5, 7])("Kolmogorov-Smirnov against the Gamma(%d) CDF", (a) => {
    const xs = gammaValues(foldIn(key(200), Math.round(a * 10)), a, [3000]);
    // Fixed keys; rejects at p < 1e-4.
    expect(ksPValue(ksStatistic(xs, (x) => 1 - gammaQ(a, x)), xs.length)).toBeGreaterThan(1e-4);
  });

  test("tiny a gives positive, finite values (the log-space boost), never 0 or NaN", () => {
    for (const a of [1e-3, 0.01, 0.05]) {
      for (const v of gammaValues(key(1), a, [500])) {
        expect(v).toBeGreaterThan(0);
        expect(Number.isFinite(v)).toBe(true);
      }
    }
  });

  test("the Array form holds the host values; same key, same draws", () => {
    tidy(() => {
      const x = gamma(key(5), 2, [2, 3]);
      expect(x.shape).toEqual([2, 3]);
      expect(x.dataSync()).toEqual(gammaValues(key(5), 2, [2, 3]));
      expect(gammaValues(key(5), 0.5, [50])).toEqual(gammaValues(key(5), 0.5, [50]));
    });
  });

  test("bad a is an error naming a", () => {
    expect(() => gamma(key(0), 0, [2])).toThrow(/gamma: a must be a finite number > 0, got number 0/);
    expect(() => gammaValues(key(0), -1, [2])).toThrow(/gammaValues: a must be a finite number > 0, got number -1/);
    expect(() => gamma(key(0), Infinity)).toThrow(/got number Infinity/);
    expect(() => gamma(key(0), 1, [1.5])).toThrow(/gamma: shape entries must be non-negative integers/);
    expect(() => gamma(null as never, 1)).toThrow(/gamma: expected a Key .* got null/);
  });
});

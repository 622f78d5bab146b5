import fc from "fast-check";
import { tidy } from "@mmx/core";
import { describe, expect, test } from "vitest";
import { betaValues } from "./beta.js";
import { dirichlet, dirichletValues } from "./dirichlet.js";
import { key } from "./key.js";
import { moments } from "./testing-only/stats.js";

describe("dirichlet", () => {
  test("each component has mean α_j/α₀ and variance α_j(α₀−α_j)/(α₀²(α₀+1)) (fixed key, random α)", () => {
    const n = 4000;
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.1, max: 4, noNaN: true }), { minLength: 2, maxLength: 5 }), (alpha) => {
        const m = alpha.length;
        const xs = dirichletValues(key(11), alpha, [n]);
        const a0 = alpha.reduce((s, a) => s + a, 0);
        for (let j = 0; j < m; j++) {
          const column = Float64Array.from({ length: n }, (_, i) => xs[i * m + j]!);
          const { mean, variance } = moments(column);
          const mu = alpha[j]! / a0;
          const v = (alpha[j]! * (a0 - alpha[j]!)) / (a0 * a0 * (a0 + 1));
          // A component is Beta(a, b) with a = α_j, b = α₀ − α_j: 5 standard errors of the mean, and of the
          // sample variance, whose standard error is v·sqrt((κ + 2)/n) for the Beta's excess kurtosis κ.
          const [a, b] = [alpha[j]!, a0 - alpha[j]!];
          const kurtosis = (6 * ((a - b) ** 2 * (a + b + 1) - a * b * (a + b + 2))) / (a * b * (a + b + 2) * (a + b + 3));
          expect(Math.abs(mean - mu)).toBeLessThan(5 * Math.sqrt(v / n));
          expect(Math.abs(variance - v)).toBeLessThan(5 * v * Math.sqrt((kurtosis + 2) / n));
        }
      }),
      { numRuns: 20, seed: 7 },
    );
  });

  test("covariance of two components is −α_iα_j/(α₀²(α₀+1))", () => {
    const alpha = [0.5, 1.5, 2];
    const n = 20000;
    const xs = dirichletValues(key(5), alpha, [n]);
    let m0 = 0, m1 = 0, m01 = 0;
    for (let i = 0; i < n; i++) {
      m0 += xs[i * 3]!;
      m1 += xs[i * 3 + 1]!;
      m01 += xs[i * 3]! * xs[i * 3 + 1]!;
    }
    const cov = m01 / n - (m0 / n) * (m1 / n);
    const expected = -(0.5 * 1.5) / (16 * 5);
    expect(Math.abs(cov - expected)).toBeLessThan(0.0015);
  });

  test("rows lie on the simplex: positive, summing to 1, also for tiny α", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 1e-3, max: 3, noNaN: true }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 1e6 }), (alpha, seed) => {
        const m = alpha.length;
        const xs = dirichletValues(key(seed), alpha, [50]);
        for (let i = 0; i < 50; i++) {
          let s = 0;
          for (let j = 0; j < m; j++) {
            expect(xs[i * m + j]!).toBeGreaterThan(0);
            s += xs[i * m + j]!;
          }
          expect(Math.abs(s - 1)).toBeLessThan(1e-5 * m);
        }
      }),
      { numRuns: 40, seed: 3 },
    );
  });

  test("with two components the first is beta's draw from the same key", () => {
    const d = dirichletValues(key(9), [0.7, 2.5], [100]);
    const b = betaValues(key(9), 0.7, 2.5, [100]);
    for (let i = 0; i < 100; i++) expect(d[2 * i]!).toBeCloseTo(b[i]!, 6);
  });

  test("the Array form has shape [...shape, m] and holds the host values", () => {
    tidy(() => {
      const x = dirichlet(key(3), [1, 1, 1], [4, 2]);
      expect(x.shape).toEqual([4, 2, 3]);
      expect(x.dataSync()).toEqual(dirichletValues(key(3), [1, 1, 1], [4, 2]));
    });
  });

  test("bad concentrations are errors naming them", () => {
    expect(() => dirichletValues(key(0), [])).toThrow("dirichletValues: alpha must be a non-empty list of concentrations > 0");
    expect(() => dirichletValues(key(0), [1, 0])).toThrow(/dirichletValues: alpha\[1\] must be a finite number > 0, got number 0/);
    expect(() => dirichlet(key(0), [1, NaN])).toThrow(/dirichlet: alpha\[1\] must be a finite number > 0/);
  });
});

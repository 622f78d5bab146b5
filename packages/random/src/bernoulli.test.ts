import fc from "fast-check";
import { tidy } from "@mmx/core";
import { describe, expect, test } from "vitest";
import { bernoulli, bernoulliValues } from "./bernoulli.js";
import { key } from "./key.js";
import { uniformValues } from "./uniform.js";

describe("bernoulli", () => {
  test("fires exactly where JAX's uniform draw is below p", () => {
    const k = key(4);
    const u = uniformValues(k, [200]);
    const b = bernoulliValues(k, 0.3, [200]);
    for (let i = 0; i < 200; i++) expect(b[i]).toBe(u[i]! < Math.fround(0.3) ? 1 : 0);
  });

  test("the frequency of ones matches p", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 1e6 }), (p, seed) => {
        const n = 4000;
        const b = bernoulliValues(key(seed), p, [n]);
        let ones = 0;
        for (const v of b) ones += v;
        // Binomial(n, p): a 5-sd band (plus one count for p at 0 or 1) fails a correct sampler with
        // probability ~6e-7 per run.
        expect(Math.abs(ones - n * p)).toBeLessThanOrEqual(5 * Math.sqrt(n * p * (1 - p)) + 1);
      }),
      { numRuns: 40 },
    );
  });

  test("p = 0 never fires and p = 1 always does", () => {
    expect(bernoulliValues(key(1), 0, [1000]).every((v) => v === 0)).toBe(true);
    expect(bernoulliValues(key(1), 1, [1000]).every((v) => v === 1)).toBe(true);
  });

  test("the Array form is a bool array of the requested shape", () => {
    tidy(() => {
      const x = bernoulli(key(3), 0.5, [2, 4]);
      expect(x.dtype).toBe("bool");
      expect(x.shape).toEqual([2, 4]);
      expect(Array.from(x.dataSync())).toEqual(Array.from(bernoulliValues(key(3), 0.5, [2, 4])));
    });
  });

  test("p outside [0, 1] is an error naming p", () => {
    expect(() => bernoulli(key(0), 1.5, [2])).toThrow(/bernoulli: p must be a probability in \[0, 1\], got number 1.5/);
    expect(() => bernoulli(key(0), -0.1, [2])).toThrow(/got number -0.1/);
    expect(() => bernoulliValues(key(0), NaN, [2])).toThrow(/bernoulliValues: p must be a probability/);
  });
});

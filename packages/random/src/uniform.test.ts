import fc from "fast-check";
import { np, tidy } from "@mmx/core";
import { describe, expect, test } from "vitest";
import { key, split } from "./key.js";
import { uniform, uniformValues } from "./uniform.js";
import { ksPValue, ksStatistic } from "./testing-only/stats.js";

describe("uniform", () => {
  test("equals JAX's published draws", () => {
    // docs.jax.dev/en/latest/jax.random.html: `random.uniform(random.key(0))` prints 0.947667, and after
    // `key, subkey = random.split(key)`, `random.uniform(subkey)` prints 0.00729382.
    // Printed values are rounded decimals, so compare to their printed precision.
    expect(uniformValues(key(0))[0]).toBeCloseTo(0.947667, 6);
    const [, subkey] = split(key(0));
    expect(uniformValues(subkey!)[0]).toBeCloseTo(0.00729382, 8);
    // NVIDIA/TensorRT-Incubator, mlir-tensorrt/integrations/PJRT/test/JAX/test_random.py:
    // `random.uniform(key2, shape=(4, 4))` with `key1, key2 = random.split(random.PRNGKey(0))`.
    // numpy prints the shortest decimal that rounds back to the float32, cut at 8 decimals: so each
    // value either rounds back exactly or lies within 5e-9 (the cut) of the print.
    const expected = [
      0.00729382, 0.02089119, 0.5814265, 0.36183798, 0.22303772, 0.11928833, 0.12543893, 0.61683, 0.0950073, 0.9834225, 0.4248221, 0.8324801,
      0.0966121, 0.22702086, 0.3545748, 0.67104137,
    ];
    const got = uniformValues(subkey!, [4, 4]);
    expected.forEach((e, i) => expect(Math.fround(e) === got[i] || Math.abs(got[i]! - e) <= 5e-9).toBe(true));
  });

  test("the Array form holds the host values with the requested shape", () => {
    tidy(() => {
      const k = key(5);
      const x = uniform(k, [2, 3], { min: -2, max: 3 });
      expect(x.shape).toEqual([2, 3]);
      expect(x.dtype).toBe("float32");
      expect(x.dataSync()).toEqual(uniformValues(k, [2, 3], { min: -2, max: 3 }));
      expect(uniform(k).shape).toEqual([]);
      return np.zeros([1]);
    });
  });

  test("values lie in [min, max) for any bounds, and the same key gives the same draws", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
        (seed, lo, width) => {
          const hi = lo + width;
          fc.pre(Math.fround(lo) < Math.fround(hi));
          const a = uniformValues(key(seed), [64], { min: lo, max: hi });
          expect(a).toEqual(uniformValues(key(seed), [64], { min: lo, max: hi }));
          for (const v of a) {
            expect(v).toBeGreaterThanOrEqual(Math.fround(lo));
            expect(v).toBeLessThan(Math.fround(hi));
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  test("a narrow range whose float32 rounding would reach max stays below it", () => {
    // [1, 1 + 2^-23): one float32 in the interval; u * span + min rounds up to max for u >= 1/2.
    const hi = 1 + 2 ** -23;
    const v = uniformValues(key(1), [1000], { min: 1, max: hi });
    expect(v.every((x) => x === 1)).toBe(true);
  });

  test("Kolmogorov-Smirnov: 20000 draws from key(7) fit U(0, 1)", () => {
    // Fixed seed; the test rejects at p < 1e-4, its false-alarm rate for a correct sampler.
    const xs = uniformValues(key(7), [20000]);
    const d = ksStatistic(xs, (x) => Math.min(1, Math.max(0, x)));
    expect(ksPValue(d, xs.length)).toBeGreaterThan(1e-4);
  });

  test("bad arguments are errors naming them", () => {
    expect(() => uniformValues(key(0), [2], { min: 1, max: 1 })).toThrow(/uniformValues: min must be less than max, got min = 1, max = 1/);
    expect(() => uniform(key(0), [2], { min: 2, max: 1 })).toThrow(/uniform: min must be less than max/);
    expect(() => uniform(key(0), [2], { min: NaN })).toThrow(/uniform: min must be a finite number, got number NaN/);
    expect(() => uniform(key(0), [2, -1])).toThrow(/uniform: shape entries must be non-negative integers, got shape\[1\] = number -1 in \[2,-1\]/);
    expect(() => uniform(key(0), [2.5])).toThrow(/shape\[0\] = number 2.5/);
    expect(() => uniform(key(0), "3" as never)).toThrow(/uniform: shape must be an array/);
    expect(() => uniform(3 as never, [2])).toThrow(/uniform: expected a Key .* got number 3/);
  });
});

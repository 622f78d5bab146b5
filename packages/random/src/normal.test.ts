import fc from "fast-check";
import { tidy } from "@mmx/core";
import { describe, expect, test } from "vitest";
import { key, split } from "./key.js";
import { normal, normalValues, truncatedNormal, truncatedNormalValues } from "./normal.js";
import { normalCdf } from "./special.js";
import { threefry2x32 } from "./threefry.js";
import { normalFromBits } from "./normal.js";
import { ksPValue, ksStatistic, moments } from "./testing-only/stats.js";

/**
 * Relative distance. Published values are printed with 7-8 significant digits (5e-8 relative) and JAX's
 * float32 erfinv differs from our double-precision one by an ulp or two (6e-8 relative each), so 3e-7
 * allows about 2.5 float32 ulps and no more.
 */
function rel(a: number, b: number): number {
  return Math.abs(a - b) / Math.abs(b);
}
const REL_TOL = 3e-7;

describe("normal", () => {
  test("equals JAX's published draws to within 2.5 float32 ulps", () => {
    // NVIDIA/TensorRT-Incubator, mlir-tensorrt/integrations/PJRT/test/JAX/test_random.py:
    // `random.normal(key1, shape=(4, 4))` with `key1, key2 = random.split(random.PRNGKey(0))`.
    // JAX evaluates erfinv in float32; we evaluate it in double and round, hence the ulp tolerance.
    const expected = [
      1.0040143, -0.9063372, -0.7481722, -1.1713669, -0.8712328, 0.58883816, 0.72392994, -1.0255982, 1.661628, -1.8910251, -1.2889339,
      0.13360691, -1.1530392, 0.23929629, 1.7448071, 0.5050189,
    ];
    const got = normalValues(split(key(0))[0]!, [4, 4]);
    expected.forEach((e, i) => expect(rel(got[i]!, e)).toBeLessThan(REL_TOL));
  });

  test("the same construction reproduces values published for JAX's older (non-partitionable) bit layout", () => {
    // Before JAX 0.5.0, random_bits(key, n) hashed the counters [0..n) split in halves: block i is
    // (i, i + ceil(n/2)), its two output words going to positions i and i + ceil(n/2). "Deep Learning
    // with Python", 3rd ed., section 3.5.3 prints `jax.random.normal(jax.random.key(123), shape=(3,))`
    // as [-0.1470326, 0.5524756, 1.648498]. Rebuilding those bits checks the erfinv path on published data.
    const n = 3;
    const half = Math.ceil(n / 2);
    const bits = new Uint32Array(2 * half);
    for (let i = 0; i < half; i++) {
      const [a, b] = threefry2x32(0, 123, i, i + half < n ? i + half : 0);
      bits[i] = a;
      bits[i + half] = b;
    }
    const got = normalFromBits(bits.subarray(0, n));
    [-0.1470326, 0.5524756, 1.648498].forEach((e, i) => expect(rel(got[i]!, e)).toBeLessThan(REL_TOL));
  });

  test("the Array form holds the host values; the same key gives the same draws", () => {
    tidy(() => {
      const k = key(9);
      const x = normal(k, [3, 2]);
      expect(x.shape).toEqual([3, 2]);
      expect(x.dataSync()).toEqual(normalValues(k, [3, 2]));
      expect(normalValues(k, [100])).toEqual(normalValues(k, [100]));
    });
  });

  test("Kolmogorov-Smirnov: 20000 draws from key(8) fit N(0, 1); moments are 0 and 1", () => {
    // Fixed seed; rejects at p < 1e-4 (the false-alarm rate for a correct sampler).
    const xs = normalValues(key(8), [20000]);
    expect(ksPValue(ksStatistic(xs, normalCdf), xs.length)).toBeGreaterThan(1e-4);
    const { mean, variance } = moments(xs);
    // sd of the mean is 1/sqrt(n) ~ 0.0071, of the variance sqrt(2/n) ~ 0.01: 5-sd bands.
    expect(Math.abs(mean)).toBeLessThan(0.036);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });

  test("draws are finite even at the extreme words", () => {
    const got = normalFromBits(Uint32Array.of(0, 1, 0x1ff, 0xfffffe00, 0xffffffff));
    for (const v of got) expect(Number.isFinite(v)).toBe(true);
    expect(got[0]).toBeLessThan(-5);
    expect(got[4]).toBeGreaterThan(5);
  });
});

describe("truncatedNormal", () => {
  test("values lie strictly inside (lower, upper) for any interval", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.double({ min: -12, max: 12, noNaN: true }), fc.double({ min: 1e-3, max: 10, noNaN: true }), (seed, lower, width) => {
        const upper = lower + width;
        const xs = truncatedNormalValues(key(seed), [50], lower, upper);
        for (const x of xs) {
          expect(x).toBeGreaterThan(lower);
          expect(x).toBeLessThan(upper);
        }
      }),
      { numRuns: 100 },
    );
  });

  test.each([
    [-2, 2],
    [-Infinity, 0.5],
    [1, Infinity],
    [4, 5],
    [-9, -8],
  ])("Kolmogorov-Smirnov on (%d, %d) against the truncated CDF", (lower, upper) => {
    const xs = truncatedNormalValues(key(31), [5000], lower, upper);
    // Truncated CDF computed with the tail on the small side of Phi, so (4, 5) and (-9, -8) stay accurate.
    const flip = lower > -upper;
    const cdf = (x: number) =>
      flip
        ? (normalCdf(-x) - normalCdf(-upper)) / (normalCdf(-lower) - normalCdf(-upper))
        : (normalCdf(x) - normalCdf(lower)) / (normalCdf(upper) - normalCdf(lower));
    const d = ksStatistic(xs, flip ? (x) => 1 - cdf(x) : cdf);
    expect(ksPValue(d, xs.length)).toBeGreaterThan(1e-4);
  });

  test("the Array form has the shape and the host values", () => {
    tidy(() => {
      const x = truncatedNormal(key(2), [4, 5], -2, 2);
      expect(x.shape).toEqual([4, 5]);
      expect(x.dataSync()).toEqual(truncatedNormalValues(key(2), [4, 5], -2, 2));
    });
  });

  test("bad bounds are errors naming them", () => {
    expect(() => truncatedNormal(key(0), [2], 1, 1)).toThrow(/truncatedNormal: lower must be less than upper, got lower = 1, upper = 1/);
    expect(() => truncatedNormal(key(0), [2], NaN, 1)).toThrow(/truncatedNormal: lower must be a number, got number NaN/);
    expect(() => truncatedNormal(key(0), [2], 1, 1 + 1e-12)).toThrow(/holds no float32 value/);
    expect(() => truncatedNormal(key(0), [-2], 0, 1)).toThrow(/shape\[0\] = number -2/);
  });
});

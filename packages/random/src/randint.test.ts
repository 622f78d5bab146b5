import fc from "fast-check";
import { tidy } from "@mmx/core";
import { describe, expect, test } from "vitest";
import { key, randomBits, split } from "./key.js";
import { randint, randintValues } from "./randint.js";
import { chiSquare, counts } from "./testing-only/stats.js";

describe("randint", () => {
  test("values lie in [lo, hi) for any int32 bounds", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 2 ** 32 }), (seed, lo, width) => {
        const hi = Math.min(2 ** 31, lo + width);
        fc.pre(lo < hi);
        for (const v of randintValues(key(seed), [40], lo, hi)) {
          expect(Number.isInteger(v)).toBe(true);
          expect(v).toBeGreaterThanOrEqual(lo);
          expect(v).toBeLessThan(hi);
        }
      }),
      { numRuns: 200 },
    );
  });

  test("chi-square: 20000 draws from key(13) are uniform over 10 values", () => {
    const xs = randintValues(key(13), [20000], -3, 7);
    const c = counts(
      Array.from(xs, (x) => x + 3),
      10,
    );
    // Fixed key; rejects at p < 1e-4, the false-alarm rate for a correct sampler.
    expect(chiSquare(c, new Array(10).fill(2000)).p).toBeGreaterThan(1e-4);
  });

  test("a span of one power of two takes the low word's remainder, as JAX's reduction does", () => {
    // For span 2^k, 2^32 mod span = 0, so JAX's value is lo + (low word mod span) from split(key)[1].
    const k = key(21);
    const low = randomBits(split(k)[1]!, 64);
    const got = randintValues(k, [64], 5, 5 + 16);
    got.forEach((v, i) => expect(v).toBe(5 + (low[i]! % 16)));
    // The full int32 range (span 2^32) is lo + the low word itself.
    const full = randintValues(k, [64], -(2 ** 31), 2 ** 31);
    full.forEach((v, i) => expect(v).toBe(-(2 ** 31) + low[i]!));
  });

  test("the Array form is int32 with the host values", () => {
    tidy(() => {
      const x = randint(key(2), [3, 4], 0, 100);
      expect(x.dtype).toBe("int32");
      expect(x.shape).toEqual([3, 4]);
      expect(x.dataSync()).toEqual(randintValues(key(2), [3, 4], 0, 100));
    });
  });

  test("bad bounds are errors naming them", () => {
    expect(() => randint(key(0), [2], 5, 5)).toThrow(/randint: lo must be less than hi, got lo = 5, hi = 5/);
    expect(() => randint(key(0), [2], 0.5, 5)).toThrow(/randint: lo must be an integer in \[-2\^31, 2\^31\], got number 0.5/);
    expect(() => randintValues(key(0), [2], 0, 2 ** 40)).toThrow(/randintValues: hi must be an integer/);
    expect(() => randint(key(0), [-3], 0, 5)).toThrow(/randint: shape entries/);
    expect(() => randint("k" as never, [2], 0, 5)).toThrow(/randint: expected a Key .* got string "k"/);
  });
});

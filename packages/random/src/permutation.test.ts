import fc from "fast-check";
import { np, tidy } from "@mmx/core";
import { describe, expect, test } from "vitest";
import { foldIn, key, randomBits, split } from "./key.js";
import { permutation, permutationIndices, sortRounds } from "./permutation.js";
import { chiSquare, counts } from "./testing-only/stats.js";

/** Index of a permutation of 0..n-1 in lexicographic order (for counting small permutations). */
function rank(p: ArrayLike<number>): number {
  const rest = Array.from({ length: p.length }, (_, i) => i);
  let r = 0;
  for (let i = 0; i < p.length; i++) {
    const j = rest.indexOf(p[i]!);
    let f = 1;
    for (let m = 2; m < p.length - i; m++) f *= m;
    r += j * f;
    rest.splice(j, 1);
  }
  return r;
}

describe("permutation", () => {
  test("is a permutation of 0..n-1, the same for the same key", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 1, max: 300 }), (seed, n) => {
        const p = permutationIndices(key(seed), n);
        expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
        expect(permutationIndices(key(seed), n)).toEqual(p);
      }),
      { numRuns: 100 },
    );
  });

  test("equals JAX's algorithm (one stable sort by split(key)[1]'s bits) when no sort keys tie", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 2, max: 200 }), (seed, n) => {
        // ceil(3 ln n / ln(2^32 - 1)) = 1 round for n <= 1625.
        const sortKeys = randomBits(split(key(seed))[1]!, n);
        fc.pre(new Set(sortKeys).size === n);
        const expected = Array.from({ length: n }, (_, i) => i).sort((a, b) => sortKeys[a]! - sortKeys[b]!);
        expect(Array.from(permutationIndices(key(seed), n))).toEqual(expected);
      }),
      { numRuns: 50 },
    );
  });

  test("chi-square: all 24 orders of 4 elements are equally likely (12000 keys)", () => {
    const draws = Array.from({ length: 12000 }, (_, i) => rank(permutationIndices(foldIn(key(17), i), 4)));
    // Fixed keys; rejects at p < 1e-4.
    expect(chiSquare(counts(draws, 24), new Array(24).fill(500)).p).toBeGreaterThan(1e-4);
  });

  test("chi-square: element 0 lands in each of 10 positions equally often", () => {
    const pos = Array.from({ length: 10000 }, (_, i) => permutationIndices(foldIn(key(19), i), 10).indexOf(0));
    expect(chiSquare(counts(pos, 10), new Array(10).fill(1000)).p).toBeGreaterThan(1e-4);
  });

  test("tied sort keys get extra rounds, and the result stays exactly uniform", () => {
    // Sort keys drawn from {0, 1} tie constantly; a single stable sort would favour the identity. With
    // rounds added until no element shares all its keys with another, every order of 3 is equally likely.
    let stream = 0;
    const source = key(23);
    const draws = Array.from({ length: 6000 }, () =>
      rank(sortRounds(3, 1, () => randomBits(foldIn(source, stream++), 3).map((w) => w & 1))),
    );
    expect(chiSquare(counts(draws, 6), new Array(6).fill(1000)).p).toBeGreaterThan(1e-4);
  });

  test("the Array forms: indices, or the rows of an array", () => {
    tidy(() => {
      const p = permutation(key(4), 6);
      expect(p.dtype).toBe("int32");
      expect(p.dataSync()).toEqual(permutationIndices(key(4), 6));
      const x = np.array([10, 11, 20, 21, 30, 31], { shape: [3, 2] });
      const y = permutation(key(4), x);
      const idx = permutationIndices(key(4), 3);
      expect(Array.from(y.dataSync())).toEqual(Array.from(idx).flatMap((i) => [10 * (i + 1), 10 * (i + 1) + 1]));
    });
  });

  test("n < 1 and non-keys are errors", () => {
    expect(() => permutation(key(0), 0)).toThrow(/permutation: n must be an integer >= 1, got number 0/);
    expect(() => permutationIndices(key(0), 2.5)).toThrow(/permutationIndices: n must be an integer >= 1, got number 2.5/);
    expect(() => permutation(1 as never, 3)).toThrow(/permutation: expected a Key .* got number 1/);
    tidy(() => {
      expect(() => permutation(key(0), np.array(3))).toThrow(/needs at least one axis/);
    });
  });
});

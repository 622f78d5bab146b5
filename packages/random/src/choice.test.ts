import fc from "fast-check";
import { np, tidy } from "@mmx/core";
import { describe, expect, test } from "vitest";
import { choice, choiceIndices } from "./choice.js";
import { foldIn, key } from "./key.js";
import { permutationIndices } from "./permutation.js";
import { randintValues } from "./randint.js";
import { chiSquare, counts } from "./testing-only/stats.js";

describe("choice", () => {
  test("uniform draws are randint with and a permutation's head without replacement (as JAX)", () => {
    expect(choiceIndices(key(1), 10, { shape: [7] })).toEqual(randintValues(key(1), [7], 0, 10));
    expect(choiceIndices(key(1), 10, { shape: [7], replace: false })).toEqual(permutationIndices(key(1), 10).slice(0, 7));
  });

  test("without replacement the draws are distinct", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 1, max: 60 }), fc.boolean(), (seed, n, weighted) => {
        const k = Math.max(1, Math.floor(n / 2));
        const p = weighted ? Array.from({ length: n }, (_, i) => (i + 1) / ((n * (n + 1)) / 2)) : undefined;
        const idx = choiceIndices(key(seed), n, { shape: [k], replace: false, p });
        expect(new Set(idx).size).toBe(k);
        for (const i of idx) expect(i >= 0 && i < n).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  test("chi-square: weighted draws with replacement follow p; zero-probability entries never appear", () => {
    const p = [0.1, 0, 0.2, 0.3, 0.4];
    const xs = choiceIndices(key(5), 5, { shape: [20000], p });
    const c = counts(xs, 5);
    expect(c[1]).toBe(0);
    // Fixed key; rejects at p < 1e-4.
    const nz = [0, 2, 3, 4];
    expect(chiSquare(nz.map((i) => c[i]!), nz.map((i) => 20000 * p[i]!)).p).toBeGreaterThan(1e-4);
  });

  test("chi-square: the first weighted draw without replacement follows p (Gumbel top-k)", () => {
    const p = [0.5, 0.25, 0.15, 0.1];
    const first = Array.from({ length: 8000 }, (_, i) => choiceIndices(foldIn(key(6), i), 4, { shape: [2], replace: false, p })[0]!);
    expect(chiSquare(counts(first, 4), p.map((q) => 8000 * q)).p).toBeGreaterThan(1e-4);
  });

  test("chooses from counts, mmx Arrays (rows) and plain arrays", () => {
    tidy(() => {
      const idx = choiceIndices(key(8), 3, { shape: [2, 2] });
      const a = choice(key(8), 3, { shape: [2, 2] });
      expect(a.dtype).toBe("int32");
      expect(a.shape).toEqual([2, 2]);
      expect(a.dataSync()).toEqual(idx);
      const rows = choice(key(8), np.array([1, 2, 3, 4, 5, 6], { shape: [3, 2] }), { shape: [2, 2] });
      expect(rows.shape).toEqual([2, 2, 2]);
      expect(Array.from(rows.dataSync())).toEqual(Array.from(idx).flatMap((i) => [2 * i + 1, 2 * i + 2]));
      const vals = choice(key(8), [0.5, 1.5, 2.5], { shape: [2, 2] });
      expect(vals.dtype).toBe("float32");
      expect(Array.from(vals.dataSync())).toEqual(Array.from(idx).map((i) => i + 0.5));
      expect(choice(key(8), Int32Array.of(7, 8, 9), { shape: [4] }).dtype).toBe("int32");
      expect(choice(key(8), 5).shape).toEqual([]);
    });
  });

  test("bad parameters are errors naming them", () => {
    expect(() => choice(key(0), 0)).toThrow(/choice: n must be an integer >= 1, got number 0/);
    expect(() => choiceIndices(key(0), 3, { p: [0.5, 0.6, 0] })).toThrow(/choiceIndices: p must sum to 1, but its 3 entries sum to 1.1/);
    expect(() => choice(key(0), 3, { p: [0.5, 0.5] })).toThrow(/choice: p has 2 entries but there are 3 values to choose from/);
    expect(() => choice(key(0), 2, { p: [1.5, -0.5] })).toThrow(/choice: p\[0\] must be a probability in \[0, 1\], got number 1.5/);
    expect(() => choice(key(0), 3, { shape: [4], replace: false })).toThrow(/cannot draw 4 values without replacement from 3/);
    expect(() => choice(key(0), 3, { shape: [2], replace: false, p: [1, 0, 0] })).toThrow(/only 1 of p are non-zero/);
    expect(() => choice(key(0), [], {})).toThrow(/choice: the number of values must be an integer >= 1, got number 0/);
    expect(() => choice(key(0), 3, { shape: [1.5] })).toThrow(/choice: shape entries/);
    expect(() => choice({} as never, 3)).toThrow(/choice: expected a Key .* got Object/);
  });
});

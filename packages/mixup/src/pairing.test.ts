import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { foldIn, key } from "@mmx/random";
import { derangementIndices, drawPairing, LAMBDA_MODES } from "./index.js";

const isPermutation = (p: Int32Array) => [...p].sort((a, b) => a - b).every((v, i) => v === i);

describe("derangements", () => {
  it("have no fixed points for n >= 2, and a batch of one keeps the identity", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 1e6 }), (n, seed) => {
        const d = derangementIndices(key(seed), n);
        expect(isPermutation(d)).toBe(true);
        if (n === 1) expect([...d]).toEqual([0]);
        else expect([...d].every((v, i) => v !== i)).toBe(true);
      }),
      { numRuns: 200, seed: 1 },
    );
  });

  it("are uniform over the derangements (n = 4 has 9: each drawn about equally often)", () => {
    const counts = new Map<string, number>();
    const draws = 2700;
    for (let i = 0; i < draws; i++) {
      const d = derangementIndices(foldIn(key(2), i), 4).join("");
      counts.set(d, (counts.get(d) ?? 0) + 1);
    }
    expect(counts.size).toBe(9);
    // 300 expected each; a chi-square with 8 degrees of freedom below 30 fails a uniform sampler with p < 2e-4.
    const chi = [...counts.values()].reduce((s, c) => s + (c - 300) ** 2 / 300, 0);
    expect(chi).toBeLessThan(30);
  });
});

describe("λ modes: who shares a draw", () => {
  const modeCase = fc.record({ mode: fc.constantFrom(...LAMBDA_MODES), n: fc.integer({ min: 1, max: 17 }), seed: fc.integer({ min: 0, max: 1e6 }), selfPairs: fc.boolean() });

  it("every mode gives a permutation and groups in range, for every batch size (odd ones and 1 included)", () => {
    fc.assert(
      fc.property(modeCase, ({ mode, n, seed, selfPairs }) => {
        const p = drawPairing(mode, key(seed), foldIn(key(seed), 1), n, selfPairs);
        expect(isPermutation(p.perm)).toBe(true);
        expect(p.group.length).toBe(n);
        for (const g of p.group) expect(g >= -1 && g < p.groups).toBe(true);
        if (!selfPairs && mode !== "pair" && n >= 2) expect([...p.perm].every((v, i) => v !== i)).toBe(true);
      }),
      { numRuns: 300, seed: 2 },
    );
  });

  it("batch: one group; elem: one per example", () => {
    const b = drawPairing("batch", key(0), key(1), 5, true);
    expect([b.groups, [...b.group]]).toEqual([1, [0, 0, 0, 0, 0]]);
    const e = drawPairing("elem", key(0), key(1), 5, true);
    expect([e.groups, [...e.group]]).toEqual([5, [0, 1, 2, 3, 4]]);
  });

  it("pair: perm is an involution without fixed points but one for an odd batch; both members of a pair share a draw", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 21 }), fc.integer({ min: 0, max: 1e6 }), (n, seed) => {
        const { perm, group, groups } = drawPairing("pair", key(seed), key(seed + 1), n, true);
        expect(groups).toBe(Math.floor(n / 2));
        const fixed = [...perm].filter((v, i) => v === i).length;
        expect(fixed).toBe(n % 2);
        perm.forEach((j, i) => {
          expect(perm[j]).toBe(i);
          expect(group[j]).toBe(group[i]);
          expect(group[i] === -1).toBe(j === i);
        });
      }),
      { numRuns: 200, seed: 3 },
    );
  });

  it("half: ⌊B/2⌋ examples mixed, each its own draw; the rest clean (a batch of one is all clean)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 21 }), fc.integer({ min: 0, max: 1e6 }), (n, seed) => {
        const { group, groups } = drawPairing("half", key(seed), key(seed + 1), n, false);
        expect(groups).toBe(Math.floor(n / 2));
        const mixed = [...group].filter((g) => g >= 0);
        expect(mixed.length).toBe(Math.floor(n / 2));
        expect(new Set(mixed).size).toBe(mixed.length);
      }),
      { numRuns: 200, seed: 4 },
    );
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { np, tag, tidy, type Array } from "@mmx/core";
import { betaValues, key, permutationIndices, split, type Key } from "@mmx/random";
import { inputMixup, manifoldMixup, mixup } from "./index.js";

/** A model with an image input, a spatial boundary "map" [B,H,W,C] and a flat one "pooled" [B,C]. */
type P = { s: Array; w: Array };
const model = (p: P, x: Array) => np.matmul(tag(np.mean(tag(np.mul(x, p.s), "map"), { axis: [1, 2] }), "pooled"), p.w);
const setup = (batch: number, h = 6, w = 5, c = 3) => {
  const p: P = { s: np.array(1), w: np.oneHot(np.array(Int32Array.from({ length: c }, (_, i) => i), { dtype: "int32" }), c) };
  const x = np.array(Float32Array.from({ length: batch * h * w * c }, (_, i) => Math.sin(i)), { shape: [batch, h, w, c] });
  const y = np.array(Int32Array.from({ length: batch }, (_, i) => i % c), { dtype: "int32" });
  return { p, x, y, list: mixup.boundaries(model, p, x) };
};
const values = (a: number | Array) => (typeof a === "number" ? [a] : [...a.dataSync()]);
describe("the policy's λ modes and pairings", () => {
  it("the default draws are what they always were: λ from split(key, 3)[1], perm from split(key, 3)[2]", () =>
    tidy(() => {
      for (let s = 0; s < 20; s++) {
        const [, kLambda, kPerm] = split(key(s), 3) as [Key, Key, Key];
        const d = manifoldMixup({ alpha: 2, layers: [0, 1] }).sample(key(s), 5);
        expect(d.lambda).toBe(betaValues(kLambda, 2, 2, [1])[0]);
        expect([...d.perm.dataSync()]).toEqual([...permutationIndices(kPerm, 5)]);
        expect(d.mixing).toEqual({ kind: "lerp", lambda: d.lambda });
        expect(d.active).toBe(true);
        const e = manifoldMixup({ alpha: 2, layers: [0], perExample: true }).sample(key(s), 5);
        expect(values(e.lambda)).toEqual([...betaValues(kLambda, 2, 2, [5])]);
      }
    }));

  it("pair: λ_i = λ_perm[i] with perm an involution; half: ⌊B/2⌋ mixed, the rest λ = 1; any batch size", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 11 }), fc.integer({ min: 0, max: 1e6 }), (n, seed) =>
        tidy(() => {
          const pair = inputMixup({ alpha: 1, lambdaMode: "pair" }).sample(key(seed), n);
          const [lam, perm] = [values(pair.lambda), [...pair.perm.dataSync()]];
          expect(lam.length).toBe(n);
          perm.forEach((j, i) => {
            expect(perm[j]).toBe(i);
            expect(lam[j]).toBe(lam[i]);
          });
          const half = inputMixup({ alpha: 1, lambdaMode: "half" }).sample(key(seed), n);
          expect(values(half.lambda).filter((l) => l === 1).length).toBeGreaterThanOrEqual(Math.ceil(n / 2));
        }),
      ),
      { numRuns: 60, seed: 8 },
    );
  });

  it("selfPairs: false pairs every example with another (a batch of one with itself)", () =>
    tidy(() => {
      for (const n of [1, 2, 3, 4, 7]) {
        for (let s = 0; s < 10; s++) {
          const perm = [...inputMixup({ alpha: 1, selfPairs: false }).sample(key(s), n).perm.dataSync()];
          if (n === 1) expect(perm).toEqual([0]);
          else expect(perm.every((v, i) => v !== i)).toBe(true);
        }
      }
    }));

  it("ways >= 3: Dirichlet weights on the simplex, perms [m, B] with row 0 the identity; per batch, per example, half, lambdaMax", () =>
    tidy(() => {
      for (const n of [1, 2, 5]) {
        const d = manifoldMixup({ alpha: 0.5, layers: [1], ways: 3 }).sample(key(n), n);
        if (d.mixing.kind !== "dirichlet") throw new Error("expected dirichlet");
        expect(d.perm.shape).toEqual([3, n]);
        expect([...d.perm.dataSync()].slice(0, n)).toEqual([...globalThis.Array(n).keys()]);
        const w = values(d.mixing.weights);
        expect(w.length).toBe(3);
        expect(Math.abs(w.reduce((a, b) => a + b) - 1)).toBeLessThan(1e-6);
        expect(d.lambda).toBe(w[0]);
        const e = manifoldMixup({ alpha: 0.5, layers: [1], ways: 4, lambdaMode: "elem", lambdaMax: true }).sample(key(n), n);
        if (e.mixing.kind !== "dirichlet") throw new Error("expected dirichlet");
        expect(e.mixing.weights.shape).toEqual([n, 4]);
        const rows = values(e.mixing.weights);
        for (let i = 0; i < n; i++) expect(rows[i * 4]).toBe(Math.max(...rows.slice(i * 4, i * 4 + 4)));
        const h = manifoldMixup({ alpha: 0.5, layers: [1], ways: 3, lambdaMode: "half" }).sample(key(n), n);
        if (h.mixing.kind !== "dirichlet") throw new Error("expected dirichlet");
        const hw = values(h.mixing.weights);
        expect(globalThis.Array.from({ length: n }, (_, i) => hw.slice(i * 3, i * 3 + 3).join()).filter((r) => r === "1,0,0").length).toBeGreaterThanOrEqual(Math.ceil(n / 2));
      }
    }));
});

describe("mask mixing in the policy", () => {
  it("CutMix: a box at the input, λ = the kept area exactly; the mixed targets recomputed from the mask agree", () =>
    tidy(() => {
      for (const n of [1, 2, 3, 6]) {
        for (const lambdaMode of ["batch", "elem", "pair", "half"] as const) {
          const { p, x, y, list } = setup(n);
          const policy = manifoldMixup({ alpha: 0, layers: [0, "map"], cutmix: { alpha: 1 }, lambdaMode });
          const d = policy.sample(key(n), list);
          expect(d.layer).toBe(0);
          if (d.mixing.kind !== "mask") throw new Error("expected a mask");
          expect(d.mixing.mask.shape).toEqual([n, 6, 5, 1]);
          const mask = [...d.mixing.mask.dataSync()];
          const kept = globalThis.Array.from({ length: n }, (_, i) => mask.slice(i * 30, i * 30 + 30).reduce((a, b) => a + b) / 30);
          expect(d.lambda).toBeCloseTo(kept.reduce((a, b) => a + b) / n, 6);
          const perm = [...d.perm.dataSync()];
          const { targets } = mixup(d.layer, d.mixing)(model)(p, x, y, d.perm);
          const labels = [...y.dataSync()];
          const expected = labels.flatMap((l, i) => [0, 1, 2].map((c) => kept[i]! * (c === l ? 1 : 0) + (1 - kept[i]!) * (c === labels[perm[i]!] ? 1 : 0)));
          [...targets.dataSync()].forEach((t, i) => expect(t).toBeCloseTo(expected[i]!, 6));
        }
      }
    }));

  it("switchProb: 0 never, 1 always, about half by default; with mixup's α = 0 CutMix every step", () =>
    tidy(() => {
      const { list } = setup(4);
      const share = (switchProb: number | undefined, alpha = 1) => {
        let masks = 0;
        for (let s = 0; s < 200; s++) if (manifoldMixup({ alpha, layers: ["map"], cutmix: { alpha: 1, ...(switchProb !== undefined && { switchProb }) } }).sample(key(s), list).mixing.kind === "mask") masks++;
        return masks / 200;
      };
      expect(share(0)).toBe(0);
      expect(share(1)).toBe(1);
      expect(share(0, 0)).toBe(1);
      const half = share(undefined);
      expect(half).toBeGreaterThan(0.35);
      expect(half).toBeLessThan(0.65);
    }));

  it("cutmix.minMax sets the box's sides; PatchUp draws only spatial boundaries and says when there are none", () =>
    tidy(() => {
      const { list } = setup(3, 20, 20);
      const d = inputMixup({ alpha: 0, cutmix: { minMax: [0.5, 0.5] } }).sample(key(1), list);
      if (d.mixing.kind !== "mask") throw new Error("expected a mask");
      // A 10×10 box (before clipping) in a 20×20 image: at most a quarter swapped, and at least 5×5 of it.
      expect(d.lambda).toBeGreaterThanOrEqual(0.75);
      expect(d.lambda).toBeLessThanOrEqual(1 - 25 / 400);
      for (let s = 0; s < 30; s++) {
        const pu = manifoldMixup({ alpha: 0, layers: [0, "map", "pooled"], patchup: { gamma: 0.3, blockSize: 2 } }).sample(key(s), list);
        expect(["0", "map"]).toContain(String(pu.layer));
        expect(pu.mixing.kind).toBe("mask");
      }
      expect(() => manifoldMixup({ alpha: 0, layers: ["pooled"], patchup: { gamma: 0.3, blockSize: 2 } }).sample(key(0), list)).toThrow('patchup: no eligible layer is a spatial boundary [B,H,W,C] (NHWC); the eligible layers are "pooled" [3,3]');
      expect(() => inputMixup({ alpha: 1, cutmix: {} }).sample(key(0), 4)).toThrow("sample: cutmix needs the boundary shapes: pass sample(key, mixup.boundaries(f, params, x)) instead of the batch size");
    }));
});

describe("Noisy Feature Mixup, α schedules and the off epoch", () => {
  it("noise has the boundary's shape, mult within ±σ_mult, add with standard deviation σ_add", () =>
    tidy(() => {
      const { list } = setup(8, 10, 10, 3);
      const d = manifoldMixup({ alpha: 1, layers: ["map"], noise: { add: 0.4, mult: 0.2, fixedLevels: true } }).sample(key(3), list);
      const noise = d.mixing.noise!;
      expect(noise.add!.shape).toEqual([8, 10, 10, 3]);
      expect(noise.mult!.shape).toEqual([8, 10, 10, 3]);
      const mult = [...noise.mult!.dataSync()];
      expect(Math.max(...mult.map(Math.abs))).toBeLessThanOrEqual(0.2);
      const add = [...noise.add!.dataSync()];
      const sd = Math.sqrt(add.reduce((s, v) => s + v * v, 0) / add.length);
      expect(Math.abs(sd - 0.4)).toBeLessThan(0.03);
      const only = manifoldMixup({ alpha: 1, layers: ["pooled"], noise: { add: 0.1 } }).sample(key(3), list);
      expect(Object.keys(only.mixing.noise!)).toEqual(["add"]);
      expect(only.mixing.noise!.add!.shape).toEqual([8, 3]);
    }));

  it("alphaSchedule (a function or a schedule object) and offEpoch switch mixing per step", () =>
    tidy(() => {
      const warm = inputMixup({ alpha: 2, alphaSchedule: ({ epoch }) => (epoch < 1 ? 0 : 2) });
      expect(warm.sample(key(0), 4, { epoch: 0, step: 3 }).active).toBe(false);
      expect(warm.sample(key(0), 4, { epoch: 1, step: 30 }).active).toBe(true);
      const bySteps = inputMixup({ alpha: 2, alphaSchedule: { valueAt: (step) => (step < 10 ? 0.5 : 0) } });
      expect(bySteps.sample(key(0), 4, { epoch: 0, step: 9 }).active).toBe(true);
      expect(bySteps.sample(key(0), 4, { epoch: 0, step: 10 }).active).toBe(false);
      const off = manifoldMixup({ alpha: 2, layers: [0], offEpoch: 3 });
      expect(off.sample(key(0), 4, { epoch: 2, step: 0 }).active).toBe(true);
      const after = off.sample(key(0), 4, { epoch: 3, step: 0 });
      expect([after.active, after.lambda, after.mixing]).toEqual([false, 1, { kind: "lerp", lambda: 1 }]);
      expect(() => off.sample(key(0), 4)).toThrow("sample: offEpoch needs the progress: pass sample(key, batch, { epoch, step })");
      expect(() => warm.sample(key(0), 4, { epoch: -1, step: 0 })).toThrow("sample: the progress must be { epoch, step } with non-negative integers");
      expect(() => inputMixup({ alpha: 1, alphaSchedule: () => NaN }).sample(key(0), 4, { epoch: 0, step: 0 })).toThrow("sample: alphaSchedule gave NaN at epoch 0, step 0; it must give a finite number");
    }));

  it("bad options name the field", () => {
    const base = { alpha: 1, layers: [0] } as const;
    expect(() => manifoldMixup({ ...base, lambdaMode: "pairs" as never })).toThrow('manifoldMixup: lambdaMode must be one of batch, pair, elem, half, got "pairs"');
    expect(() => manifoldMixup({ ...base, perExample: true, lambdaMode: "pair" })).toThrow('manifoldMixup: perExample is lambdaMode "elem"; it contradicts lambdaMode "pair"');
    expect(() => manifoldMixup({ ...base, ways: 1 })).toThrow("manifoldMixup: ways must be an integer >= 2 (examples combined per mixed example), got 1");
    expect(() => manifoldMixup({ ...base, ways: 3, lambdaMode: "pair" })).toThrow('manifoldMixup: lambdaMode "pair" mixes pairs; with ways 3 use "batch", "elem" or "half"');
    expect(() => manifoldMixup({ ...base, cutmix: {}, patchup: { gamma: 0.5, blockSize: 2 } })).toThrow("manifoldMixup: cutmix and patchup are both set; choose one mask mixing");
    expect(() => manifoldMixup({ ...base, cutmix: { minMax: [0.6, 0.2] } })).toThrow("manifoldMixup: cutmix.minMax must be [lo, hi] with 0 <= lo <= hi <= 1 (fractions of the image side), got [0.6,0.2]");
    expect(() => manifoldMixup({ ...base, cutmix: { switchProb: 2 } })).toThrow("manifoldMixup: cutmix.switchProb must be a probability in [0, 1], got 2");
    expect(() => manifoldMixup({ ...base, patchup: { gamma: 0.5, blockSize: 0 } })).toThrow("manifoldMixup: patchup.blockSize must be an integer >= 1, got 0");
    expect(() => manifoldMixup({ ...base, noise: { add: -1 } })).toThrow("manifoldMixup: noise.add must be a finite number >= 0, got -1");
    expect(() => manifoldMixup({ ...base, offEpoch: 1.5 })).toThrow("manifoldMixup: offEpoch must be an integer >= 0 (the first epoch without mixing), got 1.5");
    expect(() => manifoldMixup({ ...base, selfPairs: "no" as never })).toThrow('manifoldMixup: selfPairs must be true or false, got "no"');
    expect(() => manifoldMixup({ ...base, alphaSchedule: 3 as never })).toThrow("manifoldMixup: alphaSchedule must be a function of { epoch, step } or a schedule with valueAt(step), got number");
  });
});


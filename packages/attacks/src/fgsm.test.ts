import { grad, np, tidy, type Array } from "@mmx/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fgsm } from "./index.js";
import { crossEntropy, mlp, randomArray, randomMlp, stream, values } from "./testing-only/fixtures.js";

const params = randomMlp(6, 5, 3, 1);
const y = np.array([0, 2, 1, 1], { dtype: "int32" });

describe("fgsm", () => {
  it("steps by exactly eps·sign(∇x loss), the gradient taken separately (inputs away from the clip bounds)", () => {
    const x = randomArray([4, 6], stream(2), 0.2, 0.8);
    const eps = 0.05;
    const g = grad((xx: Array) => crossEntropy(mlp(params, xx), y))(x) as Array;
    const signs = values(g).map(Math.sign);
    expect(signs.filter((s) => s !== 0).length).toBeGreaterThan(20);
    const e = Math.fround(eps);
    const expected = values(x).map((v, i) => Math.fround(v + e * signs[i]!));
    const adv = fgsm({ model: mlp, loss: crossEntropy, eps })(params, x, y);
    expect(values(adv)).toEqual(expected);
    // and the step itself is ±eps to float32 rounding
    values(adv).forEach((v, i) => expect(Math.abs(v - values(x)[i]! - eps * signs[i]!)).toBeLessThan(1e-7));
  });

  it("stays within eps of x and inside the clip range", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 0.6, noNaN: true }), fc.integer({ min: 0, max: 1e6 }), fc.constantFrom<[number, number]>([0, 1], [0.1, 0.9]), (eps, seed, clip) => {
        tidy(() => {
          const x = randomArray([4, 6], stream(seed), clip[0], clip[1]);
          const p = randomMlp(6, 5, 3, seed + 1);
          const adv = values(fgsm({ model: mlp, loss: crossEntropy, eps, clip })(p, x, y));
          const xs = values(x);
          adv.forEach((v, i) => {
            expect(Math.abs(v - xs[i]!)).toBeLessThanOrEqual(eps + 1e-6);
            expect(v).toBeGreaterThanOrEqual(Math.fround(clip[0]));
            expect(v).toBeLessThanOrEqual(Math.fround(clip[1]));
          });
        });
      }),
      { numRuns: 15 },
    );
  });

  it("clips to the range exactly at the bounds, and clip: null lets values out", () => {
    const x = np.array([[0, 1, 0.5, 0, 1, 0.02], [1, 0, 0.98, 0.5, 0.5, 0.5], [0, 0, 0, 1, 1, 1], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]]);
    const adv = values(fgsm({ model: mlp, loss: crossEntropy, eps: 0.3 })(params, x, y));
    expect(adv.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(adv.filter((v) => v === 0 || v === 1).length).toBeGreaterThan(6);
    const free = values(fgsm({ model: mlp, loss: crossEntropy, eps: 0.3, clip: null })(params, x, y));
    expect(free.some((v) => v < 0 || v > 1)).toBe(true);
  });

  it("with eps = 0 returns x's values", () => {
    const x = randomArray([4, 6], stream(3), 0, 1);
    expect(values(fgsm({ model: mlp, loss: crossEntropy, eps: 0 })(params, x, y))).toEqual(values(x));
  });

  it("raises clear errors for bad settings and inputs", () => {
    const base = { model: mlp, loss: crossEntropy };
    expect(() => fgsm({ ...base, eps: -0.1 })).toThrow(/fgsm: eps must be a finite number >= 0.*got -0.1/);
    expect(() => fgsm({ ...base, eps: NaN })).toThrow(/eps must be .* got NaN/);
    expect(() => fgsm({ ...base, eps: 0.1, clip: [1, 0] })).toThrow(/clip range \[1, 0\] is empty; it needs lo < hi/);
    expect(() => fgsm({ ...base, eps: 0.1, clip: [0.5, 0.5] })).toThrow(/clip range \[0.5, 0.5\] is empty/);
    expect(() => fgsm({ ...base, eps: 0.1, clip: [0] as never })).toThrow(/clip must be \[lo, hi\].*got \[0\]/);
    expect(() => fgsm({ ...base, loss: undefined as never, eps: 0.1 })).toThrow(/fgsm: loss must be a function/);
    const attack = fgsm({ ...base, eps: 0.1 });
    expect(() => attack(params, np.array([[0, 1, 2, 0, 0, -0.5]]), np.array([0], { dtype: "int32" }))).toThrow(/x holds values in \[-0.5, 2\], outside the clip range \[0, 1\]/);
    expect(() => attack(params, np.zeros([1, 6], "int32"), np.array([0], { dtype: "int32" }))).toThrow(/x must be float32 .* got int32\[1,6\]/);
  });

  it("reports the settings it runs with", () => {
    expect(fgsm({ model: mlp, loss: crossEntropy, eps: 0.03 }).settings).toEqual({ kind: "fgsm", eps: 0.03, stepSize: 0.03, steps: 1, clip: [0, 1], randomStart: false, norm: "linf" });
  });
});

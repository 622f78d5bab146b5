import { jit, np, tidy, type Array } from "@mmx/core";
import fc from "fast-check";
import { foldIn, key, uniformValues } from "@mmx/random";
import { describe, expect, it } from "vitest";
import { fgsm, ifgsm, pgd } from "./index.js";
import { crossEntropy, mlp, randomArray, randomMlp, stream, values } from "./testing-only/fixtures.js";

const base = { model: mlp, loss: crossEntropy };
const params = randomMlp(6, 8, 3, 11, 1.5);
const x = randomArray([5, 6], stream(12), 0, 1);
const y = np.array([0, 1, 2, 1, 0], { dtype: "int32" });

describe("pgd and ifgsm", () => {
  it("pgd with one step of eps from x (no random start) equals fgsm", () => {
    for (const eps of [0.01, 0.1, 0.5]) {
      const a = values(pgd({ ...base, eps, stepSize: eps, steps: 1, randomStart: false })(params, x, y));
      const b = values(fgsm({ ...base, eps })(params, x, y));
      expect(a).toEqual(b);
    }
  });

  it("never lowers the loss over its steps on a fixed model (eps 0.1, stepSize 0.002, 25 steps, clip [0, 1])", () => {
    // First order: a signed-gradient step changes the loss by stepSize·‖∇‖₁ > 0, and projecting onto
    // a box only zeroes coordinates; a small stepSize keeps the second-order term below it.
    for (const attack of [
      pgd({ ...base, eps: 0.1, stepSize: 0.002, steps: 25, randomStart: false }),
      pgd({ ...base, eps: 0.1, stepSize: 0.002, steps: 25, key: key(5) }),
      ifgsm({ ...base, eps: 0.1, stepSize: 0.002, steps: 25 }),
    ]) {
      const { x: adv, losses } = attack.withLosses(params, x, y);
      expect(losses).toHaveLength(26);
      for (let t = 1; t < losses.length; t++) expect(losses[t]!, `step ${t}`).toBeGreaterThanOrEqual(losses[t - 1]! - 1e-6);
      expect(losses[25]!).toBeGreaterThan(losses[0]! + 1e-3);
      adv.dispose();
    }
  });

  it("stays within eps of x and inside the clip range, with or without a random start", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 0.4, noNaN: true }),
        fc.double({ min: 0.001, max: 0.3, noNaN: true }),
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 1e6 }),
        (eps, stepSize, steps, randomStart, seed) => {
          tidy(() => {
            const xs = randomArray([5, 6], stream(seed), 0, 1);
            const attack = randomStart ? pgd({ ...base, eps, stepSize, steps, key: key(seed) }) : ifgsm({ ...base, eps, stepSize, steps });
            const adv = values(attack(params, xs, y));
            const orig = values(xs);
            adv.forEach((v, i) => {
              expect(Math.abs(v - orig[i]!)).toBeLessThanOrEqual(eps + 1e-6);
              expect(v >= 0 && v <= 1).toBe(true);
            });
            attack.clearCache();
          });
        },
      ),
      { numRuns: 15 },
    );
  });

  it("starts from a uniform point of the eps-ball, reproducibly for a seed", () => {
    const xs = np.full([50, 6], 0.5);
    const ys = np.zeros([50], "int32");
    const make = (seed: number) => pgd({ ...base, eps: 0.2, stepSize: 1e-4, steps: 1, key: key(seed) });
    const a = values(make(1)(params, xs, ys));
    expect(values(make(1)(params, xs, ys))).toEqual(a);
    expect(values(make(2)(params, xs, ys))).not.toEqual(a);
    // 300 offsets spread over [-0.2, 0.2]: mean near 0, both halves populated
    const offsets = a.map((v) => v - 0.5);
    expect(Math.abs(offsets.reduce((s, v) => s + v, 0) / offsets.length)).toBeLessThan(0.03);
    expect(offsets.filter((v) => v < -0.1).length).toBeGreaterThan(40);
    expect(offsets.filter((v) => v > 0.1).length).toBeGreaterThan(40);
    // the same attack called twice draws fresh noise
    const attack = make(3);
    expect(values(attack(params, xs, ys))).not.toEqual(values(attack(params, xs, ys)));
  });

  it("draws call i's start from uniform(foldIn(key, i)): x0 + eps·(2u − 1)", () => {
    // A model whose loss ignores x has a zero gradient: the steps stay put and the start shows.
    const flat = (p: typeof params, xs: Array) => np.add(np.mul(mlp(p, xs), 0), 1);
    const eps = Math.fround(0.2);
    const xs = randomArray([3, 6], stream(4), 0.3, 0.7);
    const ys = np.array([2, 0, 1], { dtype: "int32" });
    const attack = pgd({ model: flat, loss: crossEntropy, eps, stepSize: 0.01, steps: 2, key: key(9) });
    for (let call = 0; call < 3; call++) {
      const u = uniformValues(foldIn(key(9), call), [3, 6]);
      const expected = values(xs).map((v, i) => Math.fround(v + Math.fround(Math.fround(Math.fround(u[i]! * 2) - 1) * eps)));
      expect(values(attack(params, xs, ys)), `call ${call}`).toEqual(expected);
    }
  });

  it("traces the model once per input shape and runs inside a user's jit", () => {
    let traces = 0;
    const counted = (p: typeof params, xs: Array) => {
      traces++;
      return mlp(p, xs);
    };
    const attack = ifgsm({ model: counted, loss: crossEntropy, eps: 0.1, stepSize: 0.02, steps: 4 });
    const eager = values(attack(params, x, y));
    const afterFirst = traces;
    expect(afterFirst).toBe(1); // the step program; its 4 runs re-use it
    for (let i = 0; i < 3; i++) attack(params, x, y).dispose();
    expect(traces).toBe(afterFirst);
    attack(params, np.slice(x, [0, 0], [2, -1]), np.slice(y, [0], [2])).dispose();
    expect(traces).toBe(afterFirst + 1); // a new batch size is a new program
    const staged = jit((p: typeof params, xs: Array, ys: Array) => attack(p, xs, ys));
    expect(values(staged(params, x, y))).toEqual(eager);
  });

  it("the three attacks share one check of their common options, each error naming its attack", () => {
    const iterative = { eps: 0.1, stepSize: 0.01, steps: 2, randomStart: false };
    for (const [kind, make] of [["fgsm", (o: object) => fgsm({ ...base, eps: 0.1, ...o })], ["ifgsm", (o: object) => ifgsm({ ...base, ...iterative, ...o })], ["pgd", (o: object) => pgd({ ...base, ...iterative, ...o })]] as const) {
      expect(() => make({ model: 3 })).toThrow(new RegExp(`^${kind}: model must be a function, got number$`));
      expect(() => make({ eps: Infinity })).toThrow(new RegExp(`^${kind}: eps must be a finite number >= 0`));
      expect(() => make({ clip: [1, 1] })).toThrow(new RegExp(`^${kind}: clip range \\[1, 1\\] is empty`));
      expect(make({ clip: null }).settings.clip).toBeNull();
    }
    expect(() => fgsm(null as never)).toThrow(/^fgsm: expected an options object, got null$/);
  });

  it("raises clear errors for bad settings", () => {
    expect(() => ifgsm({ ...base, eps: 0.1, stepSize: 0.01, steps: 0 })).toThrow(/ifgsm: steps must be an integer >= 1, got 0/);
    expect(() => pgd({ ...base, eps: 0.1, stepSize: 0.01, steps: 2.5, randomStart: false })).toThrow(/pgd: steps must be an integer >= 1, got 2.5/);
    expect(() => pgd({ ...base, eps: -1, stepSize: 0.01, steps: 2, randomStart: false })).toThrow(/pgd: eps must be a finite number >= 0.*got -1/);
    expect(() => ifgsm({ ...base, eps: 0.1, stepSize: 0, steps: 2 })).toThrow(/stepSize must be a finite number > 0, got 0/);
    expect(() => pgd({ ...base, eps: 0.1, stepSize: 0.01, steps: 2, randomStart: false, clip: [2, 1] })).toThrow(/clip range \[2, 1\] is empty/);
    expect(() => pgd({ ...base, eps: 0.1, stepSize: 0.01, steps: 2, randomStart: false, norm: "l2" as never })).toThrow(/norm "l2" is not implemented; valid norms: 'linf'/);
    expect(() => pgd({ ...base, eps: 0.1, stepSize: 0.01, steps: 2 })).toThrow(/randomStart needs a key \(key: random.key\(seed\) from @mmx\/random\)/);
    expect(() => pgd({ ...base, eps: 0.1, stepSize: 0.01, steps: 2, key: key(0), random: () => np.zeros([1]) })).toThrow(/pass key or random, not both/);
    expect(() => pgd({ ...base, eps: 0.1, stepSize: 0.01, steps: 2, key: 7 as never })).toThrow(/key must be a Key from @mmx\/random/);
    const bad = pgd({ ...base, eps: 0.1, stepSize: 0.01, steps: 2, random: () => np.zeros([1]) });
    expect(() => bad(params, x, y)).toThrow(/random\(\[5,6\]\) must return a float32 array of that shape, got float32\[1\]/);
  });
});

import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { grad, jit, np, tag, tidy, type Array } from "@mmx/core";
import { assertAllClose, describePlan, EXECUTOR_ONLY_BACKENDS, planBackends, propertyRuns, readTree, useTestBackend, type Read } from "@mmx/testing";
import { MIXING_RULES, mixup, type Mixing } from "./index.js";
import { readBackProperty } from "./testing-only/read-back-property.js";

/**
 * The invariants of every mixing kind (lerp, mask, dirichlet, with and without feature noise), as properties over
 * batch sizes 1 to 7 (odd ones included), image sizes, classes, permutations and draws, on every backend under test.
 */
const plan = await planBackends(undefined, { exclude: EXECUTOR_ONLY_BACKENDS });
if (!process.env["MMX_PLAN_FILE"]) console.log(describePlan(plan));

const RUNS = 12;
const TOL = { rtol: 1e-5, atol: 1e-6 };

/** A kind of mixing as host numbers: everything a case needs to build the Mixing and to recompute it by hand. */
type HostMixing =
  | { kind: "lerp"; lambda: number | number[] }
  | { kind: "mask"; mask: number[] /* [B, H, W] of 0/1 */ }
  | { kind: "dirichlet"; weights: number[]; perRow: boolean; ways: number };

interface Case {
  batch: number;
  h: number;
  w: number;
  classes: number;
  labels: number[];
  /** perms[0] is the partner permutation; dirichlet uses every row. */
  perms: number[][];
  mixing: HostMixing;
  noise: { add: number[]; mult: number[] } | null;
  seed: number;
}

const permArb = (n: number) => fc.shuffledSubarray([...globalThis.Array(n).keys()], { minLength: n, maxLength: n });
const simplex = (ways: number) => fc.array(fc.integer({ min: 0, max: 100 }), { minLength: ways, maxLength: ways }).map((xs) => {
  const total = xs.reduce((a, b) => a + b, 0);
  return total === 0 ? xs.map((_, i) => (i === 0 ? 1 : 0)) : xs.map((v) => v / total);
});

const mixingArb = (batch: number, h: number, w: number): fc.Arbitrary<{ mixing: HostMixing; ways: number }> =>
  fc.oneof(
    fc.float({ min: 0, max: 1, noNaN: true }).map((lambda) => ({ mixing: { kind: "lerp", lambda } as HostMixing, ways: 1 })),
    fc.array(fc.float({ min: 0, max: 1, noNaN: true }), { minLength: batch, maxLength: batch }).map((lambda) => ({ mixing: { kind: "lerp", lambda } as HostMixing, ways: 1 })),
    fc.array(fc.integer({ min: 0, max: 1 }), { minLength: batch * h * w, maxLength: batch * h * w }).map((mask) => ({ mixing: { kind: "mask", mask } as HostMixing, ways: 1 })),
    fc.integer({ min: 1, max: 4 }).chain((ways) =>
      fc.boolean().chain((perRow) =>
        (perRow ? fc.array(simplex(ways), { minLength: batch, maxLength: batch }).map((rows) => rows.flat()) : simplex(ways)).map((weights) => ({
          mixing: { kind: "dirichlet", weights, perRow, ways } as HostMixing,
          ways,
        })),
      ),
    ),
  );

const caseArb = (withNoise: boolean): fc.Arbitrary<Case> =>
  fc.record({ batch: fc.constantFrom(1, 2, 3, 4, 5, 7), h: fc.integer({ min: 1, max: 4 }), w: fc.integer({ min: 1, max: 3 }), classes: fc.integer({ min: 2, max: 4 }), seed: fc.integer({ min: 0, max: 1000 }) }).chain(({ batch, h, w, classes, seed }) =>
    mixingArb(batch, h, w).chain(({ mixing, ways }) =>
      fc.record({
        batch: fc.constant(batch),
        h: fc.constant(h),
        w: fc.constant(w),
        classes: fc.constant(classes),
        seed: fc.constant(seed),
        labels: fc.array(fc.integer({ min: 0, max: classes - 1 }), { minLength: batch, maxLength: batch }),
        perms: fc.array(permArb(batch), { minLength: Math.max(ways, 1), maxLength: Math.max(ways, 1) }),
        mixing: fc.constant(mixing),
        noise: withNoise
          ? fc.record({
              add: fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { minLength: batch * h * w * classes, maxLength: batch * h * w * classes }),
              mult: fc.array(fc.float({ min: -0.5, max: 0.5, noNaN: true }), { minLength: batch * h * w * classes, maxLength: batch * h * w * classes }),
            })
          : fc.constant(null),
      }),
    ),
  );

/** The Mixing of a case, as arrays; and the perm argument its kind takes. */
function build(c: Case): { mixing: Mixing; perm: Array } {
  const m = c.mixing;
  const noise = c.noise ? { noise: { add: np.array(c.noise.add, { shape: [c.batch, c.h, c.w, c.classes] }), mult: np.array(c.noise.mult, { shape: [c.batch, c.h, c.w, c.classes] }) } } : {};
  const perm = np.array(c.perms[0]!, { dtype: "int32" });
  switch (m.kind) {
    case "lerp":
      return { mixing: { kind: "lerp", lambda: typeof m.lambda === "number" ? m.lambda : np.array(m.lambda), ...noise }, perm };
    case "mask":
      return { mixing: { kind: "mask", mask: np.array(m.mask, { shape: [c.batch, c.h, c.w, 1] }), ...noise }, perm };
    case "dirichlet":
      return {
        mixing: { kind: "dirichlet", weights: np.array(m.weights, { shape: m.perRow ? [c.batch, m.ways] : [m.ways] }), ...noise },
        perm: np.array(c.perms.flat(), { shape: [m.ways, c.batch], dtype: "int32" }),
      };
  }
}

/**
 * The weight example i gives example j under the case's mixing (a B×B matrix, row-major), and for masks per pixel:
 * weightAt(i, j, pixel). Recomputed on the host from the numbers alone.
 */
function weightAt(c: Case, i: number, j: number, pixel: number): number {
  const m = c.mixing;
  const p = c.perms[0]!;
  const own = (w: number) => (i === j ? w : 0) + (p[i] === j ? 1 - w : 0);
  switch (m.kind) {
    case "lerp":
      return own(typeof m.lambda === "number" ? Math.fround(m.lambda) : Math.fround(m.lambda[i]!));
    case "mask":
      return own(m.mask[i * c.h * c.w + pixel]!);
    case "dirichlet": {
      let total = 0;
      for (let r = 0; r < m.ways; r++) if (c.perms[r]![i] === j) total += Math.fround(m.weights[m.perRow ? i * m.ways + r : r]!);
      return total;
    }
  }
}

/** A model whose output is the spatial mean of its tagged hidden state: [B, H, W, C] -> [B, C]. */
const meanModel = (p: { s: Array }, x: Array) => np.mean(tag(np.mul(x, p.s), "hidden"), { axis: [1, 2] });
/** A model whose output is its tagged hidden state, flattened: the mixed state itself. */
const flatModel = (p: { s: Array }, x: Array) => np.reshape(tag(np.mul(x, p.s), "hidden"), [x.shape[0]!, x.size / x.shape[0]!]);

/** x[i] = one-hot(labels[i]) at every pixel. */
const oneHotImages = (c: Case) => np.broadcastTo(np.reshape(np.oneHot(np.array(c.labels, { dtype: "int32" }), c.classes), [c.batch, 1, 1, c.classes]), [c.batch, c.h, c.w, c.classes]);
/** Deterministic non-trivial images from the seed. */
const images = (c: Case) => np.array(Float32Array.from({ length: c.batch * c.h * c.w * c.classes }, (_, i) => Math.sin(i * 1.7 + c.seed)), { shape: [c.batch, c.h, c.w, c.classes] });

for (const backend of plan.run) {
  describe(`${backend}: every mixing kind`, () => {
    beforeAll(async () => {
      await useTestBackend(backend);
    });

    const property = <R>(name: string, arb: fc.Arbitrary<Case>, compute: (c: Case) => R, check: (v: Read<R>, c: Case) => void) =>
      readBackProperty(name, arb, compute, check, { numRuns: propertyRuns(backend, RUNS), seed: 18 });

    property(
      "the targets are mixed with exactly the weights the hidden state gets (one-hot images through a mean: out == targets), at k = 0 and k = 1",
      caseArb(false),
      (c) => {
        const { mixing, perm } = build(c);
        const p = { s: np.array(1) };
        const y = np.array(c.labels, { dtype: "int32" });
        const at0 = mixup(0, mixing)(meanModel)(p, oneHotImages(c), y, perm);
        const at1 = mixup("hidden", mixing)(meanModel)(p, oneHotImages(c), y, perm);
        return { out0: at0.out, targets0: at0.targets, out1: at1.out, targets1: at1.targets };
      },
      (v, c) => {
        assertAllClose(v.out0, v.targets0, { ...TOL, what: `${c.mixing.kind} k=0` });
        assertAllClose(v.out1, v.targets1, { ...TOL, what: `${c.mixing.kind} k=1` });
        // And the targets are the weights recomputed on the host (for masks, the kept area of each mask).
        const expected: number[] = [];
        for (let i = 0; i < c.batch; i++) {
          for (let k = 0; k < c.classes; k++) {
            let t = 0;
            for (let j = 0; j < c.batch; j++) {
              if (c.labels[j] !== k) continue;
              let area = 0;
              for (let px = 0; px < c.h * c.w; px++) area += weightAt(c, i, j, px);
              t += area / (c.h * c.w);
            }
            expected.push(t);
          }
        }
        assertAllClose(v.targets1, expected, { ...TOL, what: "targets by hand" });
      },
    );

    property(
      "the mixed hidden state (with Noisy Feature Mixup's noise) is the kind's formula, recomputed on the host",
      caseArb(true),
      (c) => {
        const { mixing, perm } = build(c);
        const r = mixup("hidden", mixing)(flatModel)({ s: np.array(1) }, images(c), np.array(c.labels, { dtype: "int32" }), perm);
        return { out: r.out, x: images(c) };
      },
      (v, c) => {
        const pixels = c.h * c.w;
        const size = pixels * c.classes;
        const expected = v.x.map((_, at) => {
          const [i, rest] = [Math.floor(at / size), at % size];
          const px = Math.floor(rest / c.classes);
          let h = 0;
          for (let j = 0; j < c.batch; j++) h += weightAt(c, i, j, px) * v.x[j * size + rest]!;
          return (1 + Math.fround(c.noise!.mult[at]!)) * h + Math.fround(c.noise!.add[at]!);
        });
        assertAllClose(v.out, expected, { rtol: 1e-5, atol: 1e-5, what: c.mixing.kind });
      },
    );

    property(
      "λ = 1, an all-ones mask and all weight on the identity leave output and targets unchanged, whatever the perm",
      caseArb(false),
      (c) => {
        const identityMix: Mixing[] = [
          { kind: "lerp", lambda: 1 },
          { kind: "lerp", lambda: np.ones([c.batch]) },
          { kind: "mask", mask: np.ones([c.batch, c.h, c.w, 1]) },
          { kind: "dirichlet", weights: np.array([1, 0, 0]) },
        ];
        const p = { s: np.array(1) };
        const y = np.array(c.labels, { dtype: "int32" });
        const perm = np.array(c.perms[0]!, { dtype: "int32" });
        const identity = globalThis.Array.from({ length: c.batch }, (_, i) => i);
        const perms3 = np.array([...identity, ...c.perms[0]!, ...c.perms[0]!], { shape: [3, c.batch], dtype: "int32" });
        return {
          plain: flatModel(p, images(c)),
          onehot: np.oneHot(y, c.h * c.w * c.classes),
          mixed: identityMix.map((m) => mixup(1, m)(flatModel)(p, images(c), y, m.kind === "dirichlet" ? perms3 : perm)),
        };
      },
      (v) =>
        v.mixed.forEach((m, i) => {
          assertAllClose(m.out, v.plain, { ...TOL, what: `identity mixing ${i}: out` });
          assertAllClose(m.targets, v.onehot, { ...TOL, what: `identity mixing ${i}: targets` });
        }),
    );

    it("gradients flow through every kind into the layers before k, and jitted equals eager", async () => {
      await fc.assert(
        fc.asyncProperty(caseArb(true), async (c) => {
          const v = await readTree(
            tidy(() => {
              const { mixing, perm } = build(c);
              type P = { a: Array; b: Array; w: Array };
              const model = (p: P, x: Array) => np.matmul(np.mean(tag(np.tanh(np.add(np.mul(x, p.a), p.b)), "hidden"), { axis: [1, 2] }), p.w);
              const p: P = { a: np.array(0.7), b: np.array(0.1), w: np.reshape(np.array(Float32Array.from({ length: c.classes * 3 }, (_, i) => Math.cos(i))), [c.classes, 3]) };
              const loss = (q: P, x: Array, y: Array, pm: Array, m: Mixing) => {
                const r = mixup("hidden", m)(model)(q, x, y, pm);
                return np.sum(np.mul(r.targets, np.logSoftmax(r.out)));
              };
              const y = np.array(c.labels.map((l) => l % 3), { dtype: "int32" });
              const x = images(c);
              const { kind: _kind, ...arrays } = mixing;
              const jitted = jit((q: P, xs: Array, ys: Array, pm: Array, a: Record<string, unknown>) => grad((r: P) => loss(r, xs, ys, pm, { kind: mixing.kind, ...a } as Mixing))(q));
              const asArrays = Object.fromEntries(Object.entries(arrays).map(([k, val]) => [k, typeof val === "number" ? np.array(val) : val]));
              return { eager: grad((r: P) => loss(r, x, y, perm, mixing))(p) as P, jitted: jitted(p, x, y, perm, asArrays) as P };
            }),
          );
          for (const name of ["a", "b", "w"] as const) assertAllClose(v.jitted[name], v.eager[name], { rtol: 1e-4, atol: 1e-5, what: `${c.mixing.kind} grad ${name}` });
          expect(v.eager.a.every(Number.isFinite)).toBe(true);
          // The layers before k get a gradient (through the noise too).
          expect(Math.abs(v.eager.a[0]!) + Math.abs(v.eager.b[0]!)).toBeGreaterThan(0);
        }),
        { numRuns: propertyRuns(backend, 6), seed: 19 },
      );
    });
  });
}

describe("the rule table and the errors", () => {
  it("names every kind, and is total by type: a table missing a kind, or a rule in the wrong slot, does not compile", () => {
    expect(Object.keys(MIXING_RULES).sort()).toEqual(["dirichlet", "lerp", "mask"]);
    // @ts-expect-error the dirichlet rule is missing
    const missing: typeof MIXING_RULES = { lerp: MIXING_RULES.lerp, mask: MIXING_RULES.mask };
    // @ts-expect-error the lerp rule cannot serve masks
    const swapped: typeof MIXING_RULES = { lerp: MIXING_RULES.lerp, mask: MIXING_RULES.lerp, dirichlet: MIXING_RULES.dirichlet };
    expect([missing, swapped].length).toBe(2);
  });

  it("bad masks, weights and perms name the culprit", () =>
    tidy(() => {
      const p = { s: np.array(1) };
      const x = np.zeros([3, 2, 2, 2]);
      const y = np.array([0, 1, 0], { dtype: "int32" });
      const m = (mask: Array) => mixup(0, { kind: "mask", mask })(meanModel)(p, x, y, [0, 1, 2]);
      expect(() => m(np.ones([2, 2, 2, 1]))).toThrow("mixup: the mask has batch 2 (f32[2,2,2,1]) but x has 3 examples");
      expect(() => m(np.full([3, 2, 2, 1], 2))).toThrow("mixup: mask values must lie in [0, 1] (1 keeps the example's own value), got 2 at index 0");
      expect(() => m(np.ones([3, 3, 2, 1]))).toThrow("mixup: the mask f32[3,3,2,1] does not fit the hidden state f32[3,2,2,2] (it needs rank 4, each axis the state's size or 1)");
      const d = (weights: Array, perm: number[][]) => mixup(0, { kind: "dirichlet", weights })(meanModel)(p, x, y, perm);
      expect(() => d(np.array([0.5, 0.6]), [[0, 1, 2], [1, 2, 0]])).toThrow("mixup: dirichlet weights must sum to 1 (they sum to 1.100000023841858)");
      expect(() => d(np.array([0.5, 0.5]), [[0, 1, 2]])).toThrow("mixup: dirichlet mixing takes 2 permutations (int32 [2, 3] or a list of 2 lists), got a list of 1");
      expect(() => d(np.array([0.5, 0.5]), [[0, 1, 2], [1, 1, 0]])).toThrow("mixup (perm row 1): perm is not a permutation of 0..2 (1 is repeated)");
      expect(() => mixup(0, { kind: "blend" } as never)).toThrow('mixup: unknown mixing kind "blend"; the kinds are lerp, mask, dirichlet');
      expect(() => mixup(0, 0.5, { labelSmoothing: 2 })).toThrow("mixup: labelSmoothing must be a number in [0, 1], got 2");
      const noisy = { kind: "lerp", lambda: 0.5, noise: { add: np.zeros([3, 5]) } } as const;
      expect(() => mixup(0, noisy)(meanModel)(p, x, y, [0, 1, 2])).toThrow("mixup: the additive noise f32[3,5] does not fit the hidden state f32[3,2,2,2]");
    }));

  it("label smoothing is applied to the targets before mixing", () =>
    tidy(() => {
      const p = { s: np.array(1) };
      const x = np.zeros([2, 1, 1, 2]);
      const y = np.array([0, 1], { dtype: "int32" });
      const { targets } = mixup(0, 0.75, { labelSmoothing: 0.2 })(meanModel)(p, x, y, [1, 0]);
      // smoothed rows [0.9, 0.1] and [0.1, 0.9]; 0.75·row0 + 0.25·row1 = [0.7, 0.3]
      assertAllClose(targets.dataSync(), [0.7, 0.3, 0.3, 0.7], { rtol: 1e-6, atol: 1e-6 });
    }));
});

import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { grad, np, tidy, tree, type Array } from "@mmx/core";
import { key } from "@mmx/random";
import type { ParamTree } from "@mmx/nn";
import { assertAllClose, describePlan, EXECUTOR_ONLY_BACKENDS, inputFor, involutionOf, planBackends, propertyRuns, randomModel, readTree, useTestBackend, type RandomModel, type Read, mixupCase, mixupCaseData, type MixupCase } from "@mmx/testing";
import { capture, manifoldMixup, mixup } from "./index.js";
import { readBackProperty } from "./testing-only/read-back-property.js";

/**
 * The interpolation invariants of mixup(k, λ), as properties over random models (stacks of dense and
 * conv blocks with activations, an affine head), shapes, k, λ and permutations, on every backend under
 * test (MMX_BACKENDS picks them; see @mmx/testing). Each property computes its arrays in one tidy and
 * reads them back with `await data()` (webgpu has no synchronous read in Node), then checks the values.
 */
const plan = await planBackends(undefined, { exclude: EXECUTOR_ONLY_BACKENDS });
// `npm run test:backends` prints the plan once for all its suites (and sets MMX_PLAN_FILE).
if (!process.env["MMX_PLAN_FILE"]) console.log(describePlan(plan));

const RUNS = 15;
const TOL = { rtol: 1e-4, atol: 1e-5 };

type Case = MixupCase;
const caseArb = mixupCase;

const setup = mixupCaseData;

const permArray = (p: number[]) => np.array(p, { dtype: "int32" });
/** The model split at boundary k: the children before it and those after (sequential slicing). */
const parts = (rm: RandomModel, params: unknown, k: number) => {
  const before = k === 0 ? null : rm.model.slice(0, k);
  const after = rm.model.slice(k);
  return {
    first: (p: unknown, xs: Array) => (before ? before.apply(before.pick(p), xs).out : xs),
    rest: (p: unknown, h: Array) => after.apply(after.pick(p), h).out,
    params,
  };
};

for (const backend of plan.run) {
  describe(`${backend}: mixup invariants`, () => {
    beforeAll(async () => {
      await useTestBackend(backend);
    });

    /** compute builds the arrays (in one tidy), check sees their values. */
    const property = <R>(name: string, arb: fc.Arbitrary<Case>, compute: (c: Case) => R, check: (v: Read<R>, c: Case) => void) =>
      readBackProperty(name, arb, compute, check, { numRuns: propertyRuns(backend, RUNS) });

    property(
      "1. λ = 1 leaves the output and targets unchanged, for every k and perm",
      caseArb(),
      (c) => {
        const { params, x, y, f } = setup(c);
        const { out, targets } = mixup(c.k, 1)(f)(params, x, y, c.perm);
        return { out, targets, plain: f(params, x), onehot: np.oneHot(y, c.rm.numClasses) };
      },
      (v) => {
        assertAllClose(v.out, v.plain, { ...TOL, what: "out" });
        assertAllClose(v.targets, v.onehot, { what: "targets" });
      },
    );

    property(
      "2. the identity permutation leaves the output unchanged, for every λ",
      caseArb(),
      (c) => {
        const { params, x, y, f } = setup(c);
        const identity = globalThis.Array.from({ length: x.shape[0]! }, (_, i) => i);
        return { mixed: mixup(c.k, c.lambda)(f)(params, x, y, identity).out, plain: f(params, x) };
      },
      (v) => assertAllClose(v.mixed, v.plain, { ...TOL, what: "out" }),
    );

    property(
      "3. λ = 0 at k = 0 is the model on the permuted batch, with permuted targets",
      caseArb(),
      (c) => {
        const { params, x, y, f } = setup(c);
        const perm = permArray(c.perm);
        const { out, targets } = mixup(0, 0)(f)(params, x, y, perm);
        return { out, targets, permuted: f(params, np.take(x, perm)), permutedTargets: np.oneHot(np.take(y, perm), c.rm.numClasses) };
      },
      (v) => {
        assertAllClose(v.out, v.permuted, { ...TOL, what: "out" });
        assertAllClose(v.targets, v.permutedTargets, { what: "targets" });
      },
    );

    property(
      "4. targets stay distributions between the two mixed rows",
      caseArb(),
      (c) => {
        const { params, x, f } = setup(c);
        // Soft targets: random rows normalised to sum to 1.
        const raw = np.exp(inputFor([x.shape[0]!, c.rm.numClasses], c.seed + 1));
        const y = np.div(raw, np.sum(raw, { axis: -1, keepdims: true }));
        const { targets } = mixup(c.k, c.lambda)(f)(params, x, y, c.perm);
        return { targets, a: y, b: np.take(y, permArray(c.perm)) };
      },
      ({ targets: t, a, b }, c) => {
        const C = c.rm.numClasses;
        for (let i = 0; i < c.rm.inputShape[0]!; i++) {
          const row = t.slice(i * C, (i + 1) * C);
          expect(Math.abs(row.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-5);
          row.forEach((v, j) => {
            const lo = Math.min(a[i * C + j]!, b[i * C + j]!);
            const hi = Math.max(a[i * C + j]!, b[i * C + j]!);
            expect(v).toBeGreaterThanOrEqual(lo - 1e-6);
            expect(v).toBeLessThanOrEqual(hi + 1e-6);
          });
        }
      },
    );

    property(
      "5. the mixed hidden state lies elementwise between h and h[perm]",
      caseArb(),
      (c) => {
        const { params, x, f } = setup(c);
        const { first } = parts(c.rm, params, c.k);
        // The model cut at boundary k returns the mixed state itself as its output; its labels are
        // class 0, valid for any output width (the targets are not what this property checks).
        const y = np.array(globalThis.Array.from({ length: x.shape[0]! }, () => 0), { dtype: "int32" });
        const mixed = mixup(c.k, c.lambda)(first)(params, x, y, c.perm).out;
        const h = capture(c.k)(f)(params, x);
        return { mixed, a: h, b: np.take(h, permArray(c.perm)) };
      },
      ({ mixed, a, b }) => {
        mixed.forEach((v, i) => {
          const slack = 1e-5 * (1 + Math.abs(a[i]!) + Math.abs(b[i]!));
          expect(v).toBeGreaterThanOrEqual(Math.min(a[i]!, b[i]!) - slack);
          expect(v).toBeLessThanOrEqual(Math.max(a[i]!, b[i]!) + slack);
        });
      },
    );

    property(
      "6. swap symmetry: for an involutive perm, out(λ)[i] = out(1 − λ)[perm[i]]",
      caseArb(randomModel(), involutionOf),
      (c) => {
        const { params, x, y, f } = setup(c);
        const a = mixup(c.k, c.lambda)(f)(params, x, y, c.perm).out;
        const b = mixup(c.k, 1 - c.lambda)(f)(params, x, y, c.perm).out;
        return { a, bPermuted: np.take(b, permArray(c.perm)) };
      },
      (v) => assertAllClose(v.a, v.bPermuted, { ...TOL, what: "out(λ) vs out(1-λ)[perm]" }),
    );

    property(
      "7. mixing just before the affine head is linear: out = λ·head(h) + (1 − λ)·head(h[perm])",
      caseArb().map((c) => ({ ...c, k: c.rm.mixableBoundaries - 1 })),
      (c) => {
        const { params, x, y, f } = setup(c);
        const { rest } = parts(c.rm, params, c.k);
        const h = capture(c.k)(f)(params, x);
        const expected = np.add(np.mul(rest(params, h), c.lambda), np.mul(rest(params, np.take(h, permArray(c.perm))), 1 - c.lambda));
        return { out: mixup(c.k, c.lambda)(f)(params, x, y, c.perm).out, expected };
      },
      (v) => assertAllClose(v.out, v.expected, { ...TOL, what: "out" }),
    );

    property(
      "8. gradients reach every layer before k, and equal those of a hand-written mixup of the same model",
      caseArb(randomModel({ activations: ["tanh", "gelu"] })).filter((c) => c.lambda > 0.05 && c.lambda < 0.95),
      (c) => {
        const { params, x, y, f } = setup(c);
        const perm = permArray(c.perm);
        const ce = (out: Array, targets: Array) => np.mean(np.neg(np.sum(np.mul(targets, np.logSoftmax(out)), { axis: -1 })));
        const viaMixup = grad((p: ParamTree) => {
          const { out, targets } = mixup(c.k, c.lambda)(f)(p, x, y, perm);
          return ce(out, targets);
        })(params);
        const { first, rest } = parts(c.rm, params, c.k);
        const byHand = grad((p: unknown) => {
          const h = first(p, x);
          const mixed = np.add(np.mul(h, c.lambda), np.mul(np.take(h, perm), 1 - c.lambda));
          const onehot = np.oneHot(y, c.rm.numClasses);
          const targets = np.add(np.mul(onehot, c.lambda), np.mul(np.take(onehot, perm), 1 - c.lambda));
          return ce(rest(p, mixed), targets);
        })(params);
        const [ga, def] = tree.flatten(viaMixup);
        const [gb] = tree.flatten(byHand);
        // The summed |gradient| of each layer before k that has params (flatten has none).
        const norms = c.rm.model.names
          .slice(0, c.k)
          .filter((name) => (viaMixup as Record<string, unknown>)[name] !== undefined)
          .map((name) => ({ name, norm: np.sum(np.stack(tree.leaves((viaMixup as Record<string, unknown>)[name]).map((g) => np.sum(np.abs(g as Array))))) }));
        return { ga: ga as Array[], gb: gb as Array[], paths: tree.leafPaths(def), norms };
      },
      (v) => {
        v.ga.forEach((g, i) => assertAllClose(g, v.gb[i]!, { ...TOL, what: `grad ${v.paths[i]}` }));
        for (const { name, norm } of v.norms) expect(norm[0], `gradient of layer ${name}`).toBeGreaterThan(0);
      },
    );
  });
}

describe.runIf(plan.run.length > 0)(`${plan.run.join("+")}: 9. same key, same draws, on every backend`, () => {
  it("a policy draws identical {layer, λ, perm}, and the mixed outputs agree within float32 tolerance", async () => {
    await fc.assert(
      fc.asyncProperty(caseArb(), fc.integer({ min: 0, max: 2 ** 31 - 1 }), async (c, seed) => {
        const policy = manifoldMixup({ alpha: 2, layers: globalThis.Array.from({ length: c.rm.mixableBoundaries }, (_, i) => i) });
        let reference: { layer: unknown; lambda: number; perm: number[]; out: number[] } | null = null;
        for (const backend of plan.run) {
          await useTestBackend(backend);
          const got = await readTree(
            tidy(() => {
              const { params, x, y, f } = setup(c);
              const draw = policy.sample(key(seed), x.shape[0]!);
              const out = mixup(draw.layer, draw.lambda)(f)(params, x, y, draw.perm).out;
              return { layer: draw.layer, lambda: draw.lambda as number, perm: draw.perm, out };
            }),
          );
          if (!reference) {
            reference = got;
            continue;
          }
          expect(got.layer).toBe(reference.layer);
          expect(got.lambda).toBe(reference.lambda);
          expect(got.perm).toEqual(reference.perm);
          assertAllClose(got.out, reference.out, { rtol: 1e-4, atol: 1e-5, what: `mixed output on ${backend} vs ${plan.run[0]}` });
        }
      }),
      // The smallest of the backends' run counts: each run visits every backend.
      { numRuns: Math.min(...plan.run.map((b) => propertyRuns(b, RUNS))) },
    );
  });
});

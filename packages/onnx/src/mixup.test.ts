import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { dispose, grad, jit, np, setBackend, tree, type Array } from "@mmx/core";
import { mixup } from "@mmx/mixup";
import type { ParamTree } from "@mmx/nn";
import { assertAllClose, involutionOf, randomModel, mixupCase, mixupCaseData, type MixupCase } from "@mmx/testing";
import "./index.js";
import { onnxUnderTest } from "./testing-only/under-test.js";

/**
 * The interpolation invariants of mixup(k, λ) with every computation jitted, so that it runs as one
 * onnxruntime program (eagerly, the onnx backend runs tfjs's cpu kernels: packages/mixup's suite on
 * MMX_BACKENDS=onnx would not reach onnxruntime). Random models, k, λ and permutations as there.
 */
const RUNS = Number(process.env.MMX_PROPERTY_RUNS ?? 8);
const underTest = await onnxUnderTest();
const TOL = { rtol: 1e-4, atol: 1e-5 };

type Case = MixupCase;
const caseArb = mixupCase;

function setup(c: Case) {
  const data = mixupCaseData(c);
  return { ...data, perm: np.array(c.perm, { dtype: "int32" }) };
}

const read = (t: unknown) => tree.leaves(t).map((a) => globalThis.Array.from((a as Array).dataSync()));

/** Runs `compute` jitted on onnx (all arrays are program inputs; k is static) and reads every output. */
async function onOnnx<T>(c: Case, compute: (s: ReturnType<typeof setup>, lambda: Array) => T): Promise<number[][]> {
  await setBackend("onnx");
  const s = setup(c);
  const lambda = np.array(c.lambda);
  const run = jit((params: ParamTree, x: Array, y: Array, perm: Array, lam: Array) => compute({ ...s, params, x, y, perm }, lam));
  const out = run(s.params, s.x, s.y, s.perm, lambda);
  const values = read(out);
  dispose([out, s.params, s.x, s.y, s.perm, lambda]);
  return values;
}

afterAll(async () => {
  await setBackend("cpu");
});

describe.runIf(underTest)("onnx: mixup invariants, jitted", () => {
  it("λ = 1 leaves the output unchanged, for every k and perm", async () => {
    await fc.assert(
      fc.asyncProperty(caseArb(), async (c) => {
        const [out, plain] = await onOnnx({ ...c, lambda: 1 }, (s, lam) => [mixup(c.k, lam)(s.f)(s.params, s.x, s.y, s.perm).out, s.f(s.params, s.x)]);
        assertAllClose(out!, plain!, { ...TOL, what: "out" });
      }),
      { numRuns: RUNS },
    );
  });

  it("λ = 0 at k = 0 is the model on the permuted batch, with permuted targets", async () => {
    await fc.assert(
      fc.asyncProperty(caseArb(), async (c) => {
        const [out, targets, permuted, permutedTargets] = await onOnnx({ ...c, lambda: 0 }, (s, lam) => {
          const r = mixup(0, lam)(s.f)(s.params, s.x, s.y, s.perm);
          return [r.out, r.targets, s.f(s.params, np.take(s.x, s.perm)), np.oneHot(np.take(s.y, s.perm), c.rm.numClasses)];
        });
        assertAllClose(out!, permuted!, { ...TOL, what: "out" });
        assertAllClose(targets!, permutedTargets!, { what: "targets" });
      }),
      { numRuns: RUNS },
    );
  });

  it("swap symmetry: for an involutive perm, out(λ)[i] = out(1 − λ)[perm[i]]", async () => {
    await fc.assert(
      fc.asyncProperty(caseArb(randomModel(), involutionOf), async (c) => {
        const [a, bPermuted] = await onOnnx(c, (s, lam) => {
          const b = mixup(c.k, np.sub(1, lam))(s.f)(s.params, s.x, s.y, s.perm).out;
          return [mixup(c.k, lam)(s.f)(s.params, s.x, s.y, s.perm).out, np.take(b, s.perm)];
        });
        assertAllClose(a!, bPermuted!, { ...TOL, what: "out(λ) vs out(1-λ)[perm]" });
      }),
      { numRuns: RUNS },
    );
  });

  it("the mixed output and every gradient equal tfjs's cpu backend (eager)", async () => {
    await fc.assert(
      fc.asyncProperty(caseArb(randomModel({ activations: ["tanh", "gelu", "relu"] })), async (c) => {
        const ce = (out: Array, targets: Array) => np.mean(np.neg(np.sum(np.mul(targets, np.logSoftmax(out)), { axis: -1 })));
        const compute = (s: ReturnType<typeof setup>, lam: Array) => {
          const loss = (p: ParamTree) => {
            const { out, targets } = mixup(c.k, lam)(s.f)(p, s.x, s.y, s.perm);
            return ce(out, targets);
          };
          return { out: mixup(c.k, lam)(s.f)(s.params, s.x, s.y, s.perm).out, grads: grad(loss)(s.params) };
        };
        const got = await onOnnx(c, compute);
        await setBackend("cpu");
        const s = setup(c);
        const lambda = np.array(c.lambda);
        const ref = compute(s, lambda);
        const expected = read(ref);
        dispose([ref, s.params, s.x, s.y, s.perm, lambda]);
        expect(got.length).toBe(expected.length);
        expected.forEach((e, i) => assertAllClose(got[i]!, e, { ...TOL, what: `output leaf ${i}` }));
      }),
      { numRuns: RUNS },
    );
  });
});

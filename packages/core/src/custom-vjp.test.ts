import { beforeAll, describe, expect, it } from "vitest";
import { customVjp, describePlan, EXECUTOR_ONLY_BACKENDS, grad, isCustomVjpEqn, jit, jvp, lax, makeJaxpr, np, planBackends, readTree, setBackend, tidy, typecheckJaxpr, vmap, type Array as MxArray } from "./index.js";
import { expectAllClose } from "./test-util/close.js";
import { useTestBackend } from "./test-util/use-backend.js";

/**
 * customVjp: grad uses the given rule (a softplus whose plain derivative is Inf/Inf = NaN for large inputs), every
 * other transform runs f; composed with jit, vmap (both orders) and scan, on every eager backend.
 */

const plan = await planBackends(undefined, { exclude: EXECUTOR_ONLY_BACKENDS });
if (!process.env["MMX_PLAN_FILE"]) console.log(describePlan(plan));

/** log(1 + e^x) written naively: its value is fine up to x ≈ 88, its plain derivative e^x / (1 + e^x) is NaN from there. */
const softplus = customVjp(
  (x: MxArray) => np.log(np.add(1, np.exp(x))),
  (x: MxArray) => [np.log(np.add(1, np.exp(x))), np.sigmoid(x)] as const,
  (s: MxArray, ct: MxArray) => [np.mul(ct, s)],
);
const plainSoftplus = (x: MxArray) => np.log(np.add(1, np.exp(x)));
const xs = [-3, -0.5, 0, 0.7, 2, 95];
const sigmoid = xs.map((v) => 1 / (1 + Math.exp(-v)));

for (const backend of plan.run) {
  describe(`${backend}: customVjp`, () => {
    beforeAll(async () => {
      await useTestBackend(backend);
    });

    it("grad, jit(grad), vmap(grad), grad(vmap) and grad through a scan use the rule; f's values are unchanged", async () => {
      const r = await readTree(
        tidy(() => {
          const x = np.array(xs);
          const total = (v: MxArray) => np.sum(softplus(v));
          const perElement = (v: MxArray) => softplus(v);
          return {
            value: softplus(np.array(xs.slice(0, 5))),
            plain: plainSoftplus(np.array(xs.slice(0, 5))),
            plainGrad: grad((v: MxArray) => np.sum(plainSoftplus(v)))(x),
            g: grad(total)(x),
            jg: jit(grad(total))(x),
            vg: vmap(grad(perElement))(x),
            gv: grad((v: MxArray) => np.sum(vmap(perElement)(v) as MxArray))(x),
            jgv: jit(grad((v: MxArray) => np.sum(vmap(perElement)(v) as MxArray)))(x),
            gScan: grad((v: MxArray) => lax.scan((c: MxArray, e: MxArray) => [np.add(c, softplus(e)), null], np.full([], 0), v)[0])(x),
          };
        }),
      );
      expectAllClose(r.value, r.plain, { what: "f's value" });
      expect(Number.isNaN(r.plainGrad[5]!)).toBe(true);
      for (const k of ["g", "jg", "vg", "gv", "jgv", "gScan"] as const) expectAllClose(r[k], sigmoid, { what: k });
    });

    it("jvp differentiates f itself; bad bwd results name the culprit", async () => {
      const r = await readTree(tidy(() => ({ t: jvp(softplus, [np.array([0.5, -1])], [np.array([1, 2])])[1] as MxArray })));
      expectAllClose(r.t, [1 / (1 + Math.exp(-0.5)), 2 / (1 + Math.exp(1))]);
      const checked = tidy(() => {
        const bad = customVjp(
          (x: MxArray) => np.mul(x, 2),
          (x: MxArray) => [np.mul(x, 2), x] as const,
          () => [np.zeros([3])],
        );
        expect(() => grad((v: MxArray) => np.sum(bad(v)))(np.zeros([2]))).toThrow(/customVjp\(\w*\): bwd gives a f32\[3\] cotangent for an argument leaf of f32\[2\]/);
        const w = np.array([1, 2]);
        const closes = customVjp(
          (x: MxArray) => np.mul(x, w),
          (x: MxArray) => [np.mul(x, w), x] as const,
          (_r: MxArray, ct: MxArray) => [ct],
        );
        expect(() => grad((ww: MxArray) => np.sum(customVjp((x: MxArray) => np.mul(x, ww), (x: MxArray) => [np.mul(x, ww), x] as const, (_r: MxArray, ct: MxArray) => [ct])(np.ones([2]))))(w)).toThrow(
          /customVjp\(\w*\): f closes over a f32\[2\] that is being differentiated; pass it to f as an argument/,
        );
        return { closesGrad: grad((x: MxArray) => np.sum(closes(x)))(np.ones([2])) };
      });
      // Read asynchronously: webgpu in Node cannot read values synchronously.
      expectAllClose((await readTree(checked)).closesGrad, [1, 1]);
    });
  });
}

describe("customVjp in the IR", () => {
  it("is one custom_vjp equation holding f; it typechecks and executors run f", async () => {
    await setBackend("cpu");
    tidy(() => {
      const closed = makeJaxpr((x: MxArray) => softplus(x))(np.zeros([3]));
      expect(closed.jaxpr.eqns.filter(isCustomVjpEqn)).toHaveLength(1);
      expect(closed.toString()).toMatch(/custom_vjp\[body=\{ lambda/);
      typecheckJaxpr(closed.jaxpr);
      expectAllClose(jit(softplus)(np.array([0, 1])).dataSync(), [Math.log(2), Math.log(1 + Math.E)]);
    });
  });
});

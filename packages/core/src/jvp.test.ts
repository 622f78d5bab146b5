import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { describePlan, EXECUTOR_ONLY_BACKENDS, grad, hessian, hvp, jacfwd, jacrev, jit, jvp, np, planBackends, propertyRuns, readTree, setBackend, tidy, vjp, type Array as MxArray } from "./index.js";
import { expectAllClose } from "./test-util/close.js";
import { caseName, differentiatedArgs, ofDifferentiated, operandArray } from "./test-util/case-operands.js";
import { lcg } from "./test-util/lcg.js";
import { primitiveCases } from "./test-util/primitive-cases.js";
import { dot, expectTransposed, jvpAndVjp } from "./test-util/program-transforms.js";
import { program } from "./test-util/random-programs.js";
import { useTestBackend } from "./test-util/use-backend.js";

/**
 * Forward mode against the two independent references it must match: finite differences, and reverse
 * mode by transposition, <jvp(f)(x; v), u> = <v, vjp(f)(x)(u)> for every direction v and cotangent u;
 * over every primitive's cases and over random programs (on every backend under test); and jit(jvp)
 * against jvp. Then the Jacobians
 * and Hessians built on them.
 */

const plan = await planBackends(undefined, { exclude: EXECUTOR_ONLY_BACKENDS });
const FD_EPS = 1e-3;
if (!process.env["MMX_PLAN_FILE"]) console.log(describePlan(plan));

/** Directions and cotangents in [-1, 1) from a seed. */
const signedLcg = (seed: number) => {
  const next = lcg(seed);
  return () => next() * 2 - 1;
};
const randomLike = (x: MxArray, rand: () => number) => np.array(Array.from({ length: x.size }, rand), { shape: x.shape });
const read = (a: MxArray) => Array.from(a.dataSync(), Number);

describe("jvp on every primitive", () => {
  beforeAll(async () => {
    await setBackend("cpu");
  });
  for (const c of primitiveCases) {
    const diffArgs = differentiatedArgs(c);
    it(`${caseName(c)}: transposition against vjp, finite differences, and jit`, () => {
      fc.assert(
        fc.property(c.operands, fc.integer({ min: 1, max: 2 ** 30 }), ({ ops, extra }, seed) => {
          tidy(() => {
            const rand = signedLcg(seed);
            const xs = ops.map((o) => operandArray(o));
            const f = ofDifferentiated(c, xs, extra, diffArgs);
            const primals = diffArgs.map((i) => xs[i]!);
            const [out, tangent] = jvp(f, primals, primals.map((p) => (p.dtype === "float32" ? randomLike(p, rand) : p)));
            const plain = f(...primals);
            expectAllClose(read(out), read(plain), { what: `${caseName(c)} jvp primal` });
            if (diffArgs.length === 0 || out.dtype !== "float32") {
              expect(read(tangent).every((v) => v === 0), `${caseName(c)}: a non-float output has a zero tangent`).toBe(true);
              return;
            }
            // Same directions again, from the same seed.
            const rand2 = signedLcg(seed);
            const vs = primals.map((p) => (p.dtype === "float32" ? randomLike(p, rand2) : p));
            const u = randomLike(out, rand);
            const [, pullback] = vjp(f, ...primals);
            const cts = pullback(u) as MxArray[];
            const forward = read(dot(tangent, u))[0]!;
            const reverse = cts.reduce((acc, ct, j) => acc + (primals[j]!.dtype === "float32" ? read(dot(ct, vs[j]!))[0]! : 0), 0);
            const tol = c.tol ?? { rtol: 1e-4, atol: 1e-5 };
            expectAllClose([forward], [reverse], { rtol: tol.rtol * 10, atol: tol.atol * 10 * (1 + u.size), what: `${caseName(c)}: <jvp, u> vs <v, vjp(u)>` });
            const [, jitTangent] = jit((...ps: MxArray[]) => jvp(f, ps, vs))(...primals) as [MxArray, MxArray];
            expectAllClose(read(jitTangent), read(tangent), { ...tol, what: `${caseName(c)}: jit(jvp) vs jvp` });
            if ((c.fdArgs ?? []).length > 0 && (c.fdArgs ?? []).length === diffArgs.length) {
              const eps = 1e-3;
              const at = (s: number) => read(dot(f(...primals.map((p, j) => np.add(p, np.mul(vs[j]!, s)))), u))[0]!;
              const directional = (at(eps) - at(-eps)) / (2 * eps);
              expect(Math.abs(directional - forward) <= 2e-2 + 2e-2 * Math.abs(forward), `${caseName(c)}: finite difference ${directional} vs jvp ${forward}`).toBe(true);
            }
          });
        }),
        { numRuns: 10 },
      );
    });
  }
});

// Random programs on every backend under test (MMX_BACKENDS; values read with `await data()`, which webgpu needs).
for (const backend of plan.run) {
  describe(`${backend}: jvp on random programs`, () => {
    beforeAll(async () => {
      await useTestBackend(backend);
    });

    it("transposition against vjp, finite differences, and jit(jvp) == jvp", async () => {
      await fc.assert(
        fc.asyncProperty(program, async (p) => {
          const r = await readTree(
            tidy(() => {
              const rand = signedLcg(p.seed + 1);
              const { f, args, vs, u, values } = jvpAndVjp(p, (xs) => xs.map((a) => randomLike(a, rand)), (out) => randomLike(out, rand));
              // A central difference along v of <f, u>: the programs' kinks (relu, max, where) are measure zero.
              const at = (s: number) => {
                const [x, y, w] = args.map((a, j) => np.add(a, np.mul(vs[j]!, s)));
                return dot(f(x!, y!, w!), u);
              };
              return { ...values, forward: dot(values.tangent, u), plus: at(FD_EPS), minus: at(-FD_EPS) };
            }),
          );
          expectTransposed(r.forward, r.reverse);
          expectAllClose(r.jitOut, r.out, { what: "jit(jvp) primal" });
          expectAllClose(r.jitTangent, r.tangent, { what: "jit(jvp) tangent" });
          const directional = (r.plus[0]! - r.minus[0]!) / (2 * FD_EPS);
          expect(Math.abs(directional - r.forward[0]!), `finite difference ${directional} vs jvp ${r.forward[0]}`).toBeLessThanOrEqual(3e-2 + 3e-2 * Math.abs(r.forward[0]!));
        }),
        // A fixed seed: a failure replays as is.
        { numRuns: propertyRuns(backend, 30), seed: 1706 },
      );
    });
  });
}

describe("Jacobians and Hessians", () => {
  beforeAll(async () => {
    await setBackend("cpu");
  });
  const f = (x: MxArray) => np.tanh(np.mul(np.matmul(np.reshape(x, [2, 3]), np.reshape(np.sin(x), [3, 2])), 0.7));
  const scalar = (x: MxArray) => np.sum(np.mul(np.exp(np.mul(x, 0.3)), np.sin(x)));

  it("jacfwd equals jacrev, and both match jvp and vjp along basis directions", () => {
    tidy(() => {
      const x = np.array([0.3, -0.2, 0.9, 0.1, -0.7, 0.5]);
      const jf = jacfwd(f)(x);
      const jr = jacrev(f)(x);
      expect(jf.shape).toEqual([2, 2, 6]);
      expectAllClose(read(jf), read(jr), { what: "jacfwd vs jacrev" });
      const v = np.array([1, 0, 0, 0, 0, 0]);
      const [, t] = jvp(f, [x], [v]) as [MxArray, MxArray];
      expectAllClose(read(np.slice(jf, [0, 0, 0], [2, 2, 1])), read(t), { what: "first column" });
      expectAllClose(read(jit(jacfwd(f))(x)), read(jf), { what: "jit(jacfwd)" });
    });
  });

  it("the Hessian is symmetric, equals jacrev(grad), and hvp is H·v", () => {
    tidy(() => {
      const x = np.array([0.3, -0.2, 0.9, 0.1]);
      const h = hessian(scalar)(x);
      expect(h.shape).toEqual([4, 4]);
      expectAllClose(read(h), read(np.transpose(h)), { what: "symmetry" });
      expectAllClose(read(h), read(jacrev(grad(scalar) as (x: MxArray) => MxArray)(x)), { what: "jacfwd(grad) vs jacrev(grad)" });
      const v = np.array([0.5, -1, 0.25, 2]);
      expectAllClose(read(hvp(scalar)(x, v) as MxArray), read(np.matmul(h, v)), { what: "hvp vs H·v" });
      expectAllClose(read(jit(hvp(scalar))(x, v) as MxArray), read(np.matmul(h, v)), { what: "jit(hvp)" });
    });
  });

  it("hvp takes pytrees (a model's parameters)", () => {
    tidy(() => {
      const p = { w: np.array([[0.2, -0.4], [0.1, 0.3]]), b: np.array([0.05, -0.1]) };
      const x = np.array([[1, 2], [-1, 0.5]]);
      const loss = (q: typeof p, xb: MxArray) => np.mean(np.square(np.tanh(np.add(np.matmul(xb, q.w), q.b))));
      const v = { w: np.array([[1, 0], [0, -1]]), b: np.array([0.5, 0.5]) };
      const hv = hvp(loss)(p, v, x) as typeof p;
      // Against a central difference of the gradient along v.
      const eps = 1e-2;
      const shifted = (s: number) => grad(loss)({ w: np.add(p.w, np.mul(v.w, s)), b: np.add(p.b, np.mul(v.b, s)) }, x) as typeof p;
      const [plus, minus] = [shifted(eps), shifted(-eps)];
      expectAllClose(read(hv.w), read(np.div(np.sub(plus.w, minus.w), 2 * eps)), { rtol: 2e-2, atol: 2e-3, what: "hvp w" });
      expectAllClose(read(hv.b), read(np.div(np.sub(plus.b, minus.b), 2 * eps)), { rtol: 2e-2, atol: 2e-3, what: "hvp b" });
    });
  });

  it("bad arguments give one-line errors that name them", () => {
    expect(() => jvp((x: MxArray) => x, [np.zeros([2])], [np.zeros([3])])).toThrow(/jvp: the tangent at \[0\] is f32\[3\], its primal is f32\[2\]/);
    expect(() => jacfwd((x: MxArray) => x)(np.zeros([2], "int32"))).toThrow(/jacfwd: cannot differentiate with respect to i32\[2\]/);
  });
});

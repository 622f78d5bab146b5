import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { describePlan, EXECUTOR_ONLY_BACKENDS, grad, jit, lax, makeJaxpr, np, planBackends, propertyRuns, readTree, setBackend, setWebgpuCpuForward, tidy, tree, vmap, type Array as MxArray } from "./index.js";
import { expectAllClose } from "./test-util/close.js";
import { caseName, operandArray } from "./test-util/case-operands.js";
import { primitiveCases } from "./test-util/primitive-cases.js";
import { example, perExampleGradients, vmapAgainstStacked } from "./test-util/program-transforms.js";
import { program } from "./test-util/random-programs.js";

/**
 * vmap(f)(xs) equals stacking f(xs[i]): over every primitive's cases (each operand mapped or shared),
 * over random programs on every backend under test, and composed with grad and jit in every order.
 */

const plan = await planBackends(undefined, { exclude: EXECUTOR_ONLY_BACKENDS });
if (!process.env["MMX_PLAN_FILE"]) console.log(describePlan(plan));

const read = (a: MxArray) => Array.from(a.dataSync(), Number);

describe("vmap of every primitive equals the stacked per-example results", () => {
  beforeAll(async () => {
    await setBackend("cpu");
  });
  for (const c of primitiveCases) {
    it(caseName(c), () => {
      fc.assert(
        fc.property(c.operands, fc.integer({ min: 0, max: 2 ** 30 }), ({ ops, extra }, pick) => {
          tidy(() => {
            // Three examples that differ in their float operands; which operands are mapped is drawn.
            const scales = [1, -0.5, 0.75];
            const mapped = ops.map((_, i) => ((pick >> i) & 1) === 1 || ops.length === 1);
            if (!mapped.some(Boolean)) mapped[0] = true;
            const batch = ops.map((o, i) => (mapped[i] ? np.stack(scales.map((s) => operandArray(o, s))) : operandArray(o)));
            const f = (...xs: MxArray[]) => c.mmx(xs, extra);
            const batched = vmap(f, { inAxes: mapped.map((m) => (m ? 0 : null)) })(...batch) as MxArray;
            const stacked = np.stack(scales.map((_, b) => f(...batch.map((x, i) => (mapped[i] ? example(x, b) : x)))));
            expect(batched.shape).toEqual(stacked.shape);
            expectAllClose(read(batched), read(stacked), { ...(c.tol ?? {}), what: `${caseName(c)} mapped ${mapped}` });
          });
        }),
        { numRuns: 8 },
      );
    });
  }
});

// Random programs on every backend under test (MMX_BACKENDS; values read with `await data()`, which webgpu needs).
for (const backend of plan.run) {
  describe(`${backend}: vmap of random programs`, () => {
    beforeAll(async () => {
      await setBackend(backend);
      if (backend === "webgpu") setWebgpuCpuForward(false);
    });

    it("vmap(f)(xs) stacks f(x_i), shared or mapped weights; jit(vmap(f)) agrees", async () => {
      await fc.assert(
        fc.asyncProperty(program, fc.integer({ min: 1, max: 3 }), fc.boolean(), async (p, size, mapW) => {
          const r = await readTree(
            tidy(() => {
              const { vmapped, args, stacked } = vmapAgainstStacked(p, size, mapW);
              return { out: vmapped(...args), jitted: jit(vmapped)(...args), stacked };
            }),
          );
          expectAllClose(r.out, r.stacked, { what: "vmap vs stacked" });
          expectAllClose(r.jitted, r.out, { what: "jit(vmap) vs vmap" });
        }),
        // Fixed seeds: a failure replays as is.
        { numRuns: propertyRuns(backend, 30), seed: 1707 },
      );
    });

    it("vmap(grad), grad(vmap) and jit of each agree with per-example gradients", async () => {
      await fc.assert(
        fc.asyncProperty(program, fc.integer({ min: 1, max: 3 }), async (p, size) => {
          const r = await readTree(
            tidy(() => {
              const { args, stacked, summed, vmapGrad, gradVmap } = perExampleGradients(p, size);
              return {
                stacked,
                summed,
                vmapGrad: vmapGrad(...args),
                jitVmapGrad: jit(vmapGrad)(...args),
                gradVmap: gradVmap(...args),
                jitGradVmap: jit(gradVmap)(...args),
              };
            }),
          );
          expectAllClose(r.vmapGrad, r.stacked, { what: "vmap(grad)" });
          expectAllClose(r.jitVmapGrad, r.stacked, { what: "jit(vmap(grad))" });
          expectAllClose(r.gradVmap, r.summed, { rtol: 1e-4, atol: 1e-4, what: "grad(vmap)" });
          expectAllClose(r.jitGradVmap, r.summed, { rtol: 1e-4, atol: 1e-4, what: "jit(grad(vmap))" });
        }),
        { numRuns: propertyRuns(backend, 20), seed: 1708 },
      );
    });
  });
}

describe("vmap's axes and pytrees", () => {
  beforeAll(async () => {
    await setBackend("cpu");
  });
  it("maps other axes, pytrees with a prefix spec, and places the output axis", () => {
    tidy(() => {
      const p = { w: np.array([[1, 2], [3, 4], [5, 6]]), b: np.array([0.5, -0.5]) };
      const xs = np.array([[1, 0, -1], [2, 1, 0]]); // two examples along axis 0... given as axis 1 below
      const f = (q: typeof p, x: MxArray) => ({ y: np.add(np.matmul(np.reshape(x, [1, 2]), np.transpose(q.w)), 0), s: np.sum(q.b) });
      const out = vmap(f, { inAxes: [{ w: null, b: null }, 1], outAxes: { y: 1, s: 0 } })(p, xs) as { y: MxArray; s: MxArray };
      expect(out.y.shape).toEqual([1, 3, 3]);
      const cols = [0, 1, 2].map((i) => f(p, np.squeeze(np.slice(xs, [0, i], [2, 1]), 1)).y);
      expectAllClose(read(out.y), read(np.stack(cols, 1)));
      expect(read(out.s)).toEqual([0, 0, 0]);
    });
  });

  it("vmap over a model's parameters: several models in one program", () => {
    tidy(() => {
      const models = { w: np.array([[[1, 0], [0, 1]], [[2, 0], [0, 2]], [[0, 1], [1, 0]]]), b: np.array([[0, 0], [1, 1], [-1, 0]]) };
      const x = np.array([[1, 2], [3, -4]]);
      const apply = (q: { w: MxArray; b: MxArray }, xb: MxArray) => np.relu(np.add(np.matmul(xb, q.w), q.b));
      const out = vmap(apply, { inAxes: [0, null] })(models, x) as MxArray;
      const each = [0, 1, 2].map((i) => apply(tree.map((l: MxArray) => example(l, i), models), x));
      expectAllClose(read(out), read(np.stack(each)));
    });
  });

  it("per-example gradients of a conv layer (batched input folds into N; filter gradients per example)", () => {
    tidy(() => {
      const w = np.array(Array.from({ length: 2 * 2 * 1 * 2 }, (_, i) => Math.sin(i)), { shape: [2, 2, 1, 2] });
      const xs = np.array(Array.from({ length: 3 * 4 * 4 }, (_, i) => Math.cos(i)), { shape: [3, 1, 4, 4, 1] });
      const loss = (ww: MxArray, x: MxArray) => np.sum(np.square(lax.maxPool(lax.conv(x, ww, { padding: "SAME" }), 2)));
      const perEx = vmap(grad(loss), { inAxes: [null, 0] })(w, xs) as MxArray;
      const each = [0, 1, 2].map((i) => grad(loss)(w, example(xs, i)) as MxArray);
      expectAllClose(read(perEx), read(np.stack(each)));
      expectAllClose(read(jit(vmap(grad(loss), { inAxes: [null, 0] }))(w, xs) as MxArray), read(np.stack(each)));
    });
  });

  it("take and scatter_add with per-example indices and data are one gather and one scatter, not one per example", () => {
    tidy(() => {
      const xs = np.array(Array.from({ length: 3 * 4 * 2 }, (_, i) => Math.sin(i)), { shape: [3, 4, 2] });
      const idx = np.array([[3, 0, 0], [1, 2, 3], [2, 2, 1]], { dtype: "int32" });
      const narrow = np.array([[1, 0], [0, 0], [1, 1]], { dtype: "int32" });
      for (const [axis, i] of [[0, idx], [1, narrow]] as const) {
        const gather = (x: MxArray, j: MxArray) => np.take(x, j, axis);
        const batched = vmap(gather)(xs, i) as MxArray;
        expectAllClose(read(batched), read(np.stack([0, 1, 2].map((b) => gather(example(xs, b), example(i, b))))), { what: `take axis ${axis}` });
      }
      const us = np.array(Array.from({ length: 3 * 3 * 2 }, (_, i) => Math.cos(i)), { shape: [3, 3, 2] });
      const scatter = (u: MxArray, i: MxArray) => np.scatterAdd(u, i, 4);
      expectAllClose(read(vmap(scatter)(us, idx) as MxArray), read(np.stack([0, 1, 2].map((b) => scatter(example(us, b), example(idx, b))))), { what: "scatter_add" });
      const count = (f: (...a: MxArray[]) => MxArray, p: string, ...a: MxArray[]) => makeJaxpr(vmap(f))(...a).jaxpr.eqns.filter((e) => e.primitive === p).length;
      expect(count((x, i) => np.take(x, i, 0), "take", xs, idx)).toBe(1);
      expect(count(scatter, "scatter_add", us, idx)).toBe(1);
    });
  });

  it("bad axes give one-line errors that name the argument", () => {
    tidy(() => {
      const f = (a: MxArray, b: MxArray) => np.add(a, b);
      expect(() => vmap(f)(np.zeros([2, 3]), np.zeros([4, 3]))).toThrow(/vmap: mapped axes differ in size: \[0\] f32\[2,3\] \(axis 0\) has 2, \[1\] f32\[4,3\] \(axis 0\) has 4/);
      expect(() => vmap(f, { inAxes: [0, 2] })(np.zeros([2, 3]), np.zeros([2, 3]))).toThrow(/vmap: axis 2 is out of range for argument \[1\] f32\[2,3\]/);
      expect(() => vmap(f, { inAxes: [null, null] })(np.zeros([2]), np.zeros([2]))).toThrow(/maps no argument/);
      expect(() => vmap(f, { inAxes: [0] })(np.zeros([2]), np.zeros([2]))).toThrow(/inAxes at the root lists 1 entries for 2 values/);
    });
  });
});

import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { describePlan, EXECUTOR_ONLY_BACKENDS, grad, type Eqn, jit, lax, makeJaxpr, np, planBackends, propertyRuns, readTree, setBackend, tidy, tree, vmap, type Array as MxArray } from "./index.js";
import { expectAllClose } from "./test-util/close.js";
import { caseName, operandArray } from "./test-util/case-operands.js";
import { primitiveCases } from "./test-util/primitive-cases.js";
import { example, perExampleGradients, vmapAgainstStacked } from "./test-util/program-transforms.js";
import { program } from "./test-util/random-programs.js";
import { useTestBackend } from "./test-util/use-backend.js";

/**
 * vmap(f)(xs) equals stacking f(xs[i]): over every primitive's cases (each operand mapped or shared),
 * over random programs on every backend under test, and composed with grad and jit in every order.
 */

const plan = await planBackends(undefined, { exclude: EXECUTOR_ONLY_BACKENDS });
if (!process.env["MMX_PLAN_FILE"]) console.log(describePlan(plan));

const read = (a: MxArray) => Array.from(a.dataSync(), Number);
/** The convolutions of a program, with their groups. */
const convEqns = (eqns: readonly Eqn[]) => eqns.filter((e) => e.primitive.startsWith("conv")).map((e) => [e.primitive, (e.params as { groups: number }).groups] as const);

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
      await useTestBackend(backend);
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

  it("per-example gradients of a conv layer (batched input folds into N; the filter gradients are one grouped conv)", () => {
    tidy(() => {
      const w = np.array(Array.from({ length: 2 * 2 * 1 * 2 }, (_, i) => Math.sin(i)), { shape: [2, 2, 1, 2] });
      const xs = np.array(Array.from({ length: 3 * 4 * 4 }, (_, i) => Math.cos(i)), { shape: [3, 1, 4, 4, 1] });
      const loss = (ww: MxArray, x: MxArray) => np.sum(np.square(lax.maxPool(lax.conv(x, ww, { padding: "SAME" }), 2)));
      const perEx = vmap(grad(loss), { inAxes: [null, 0] })(w, xs) as MxArray;
      const each = [0, 1, 2].map((i) => grad(loss)(w, example(xs, i)) as MxArray);
      expectAllClose(read(perEx), read(np.stack(each)));
      expectAllClose(read(jit(vmap(grad(loss), { inAxes: [null, 0] }))(w, xs) as MxArray), read(np.stack(each)));
      const convs = convEqns(makeJaxpr(vmap(grad(loss), { inAxes: [null, 0] }))(w, xs).jaxpr.eqns);
      expect(convs).toEqual([["conv", 1], ["conv_filter_grad", 3]]);
    });
  });

  describe("a vmap over filters (S models) is one grouped convolution per conv", () => {
    // S = 3 models of two convolutions (filters [3, 3, 3, Ci/G, Co] and [3, 1, 1, Co/G, Co]) over inputs
    // [3, 2, 5, 5, Ci] (one batch per model) or [2, 5, 5, Ci] (one shared batch).
    const S = 3;
    const values = (shape: number[], phase: number) => np.array(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(0.7 * i + phase)), { shape });
    for (const { groups, mappedX } of [
      { groups: 1, mappedX: true },
      { groups: 1, mappedX: false },
      { groups: 2, mappedX: true },
      { groups: 2, mappedX: false },
    ]) {
      const ci = 2 * groups;
      const co = 2 * groups;
      const what = `${mappedX ? "mapped" : "shared"} inputs, ${groups} group${groups > 1 ? "s" : ""} per model`;
      it(`${what}: values, gradients and the program`, () => {
        tidy(() => {
          const ws = values([S, 3, 3, ci / groups, co], 0.3);
          const vs = values([S, 1, 1, co / groups, co], 2.3);
          const xs = mappedX ? values([S, 2, 5, 5, ci], 1.1) : values([2, 5, 5, ci], 1.1);
          const inAxes = [0, 0, mappedX ? 0 : null];
          const forward = (w: MxArray, v: MxArray, x: MxArray) => lax.conv(np.tanh(lax.conv(x, w, { padding: "SAME", strides: 2, groups })), v, { groups });
          const loss = (w: MxArray, v: MxArray, x: MxArray) => np.sum(np.square(forward(w, v, x)));
          const grads = (w: MxArray, v: MxArray, x: MxArray) => grad(loss, { argnums: [0, 1, 2] })(w, v, x) as MxArray[];
          const pick = (i: number) => [example(ws, i), example(vs, i), mappedX ? example(xs, i) : xs] as const;
          expectAllClose(read(vmap(forward, { inAxes })(ws, vs, xs) as MxArray), read(np.stack([0, 1, 2].map((i) => forward(...pick(i))))), { what: `${what}: forward` });
          const batched = vmap(grads, { inAxes })(ws, vs, xs) as MxArray[];
          const lone = [0, 1, 2].map((i) => grads(...pick(i)));
          batched.forEach((g, j) => expectAllClose(read(g), read(np.stack(lone.map((l) => l[j]!))), { what: `${what}: gradient of operand ${j}` }));
          const jitted = jit(vmap(grads, { inAxes }))(ws, vs, xs) as MxArray[];
          jitted.forEach((g, j) => expectAllClose(read(g), read(batched[j]!), { what: `${what}: jit(vmap(grad)), operand ${j}` }));
          // One equation per convolution of the lone program: S·G groups where both operands are mapped; shared
          // inputs keep the G groups, the filters' channels S times wider.
          const SG = S * groups;
          const sorted = (eqns: readonly Eqn[]) => convEqns(eqns).map(([p, g]) => `${p}/${g}`).sort();
          expect(sorted(makeJaxpr(vmap(forward, { inAxes }))(ws, vs, xs).jaxpr.eqns)).toEqual(mappedX ? [`conv/${SG}`, `conv/${SG}`] : [`conv/${SG}`, `conv/${groups}`].sort());
          const expected = mappedX
            ? [`conv/${SG}`, `conv/${SG}`, `conv_filter_grad/${SG}`, `conv_filter_grad/${SG}`, `conv_transpose/${SG}`, `conv_transpose/${SG}`]
            : [`conv/${SG}`, `conv/${groups}`, `conv_filter_grad/${SG}`, `conv_filter_grad/${groups}`, `conv_transpose/${SG}`, `conv_transpose/${SG}`];
          expect(sorted(makeJaxpr(vmap(grads, { inAxes }))(ws, vs, xs).jaxpr.eqns)).toEqual(expected.sort());
        });
      });
    }
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

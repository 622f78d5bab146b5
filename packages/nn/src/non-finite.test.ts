/**
 * NaN and ±Inf propagate the same way on every backend under test (MMX_BACKENDS; see core's
 * backends/plan.ts), eager and jitted: through the relu primitive and its gradient, and through a small
 * model's forward pass and one SGD step (a NaN input gives a NaN loss, never a finite one). The ONNX
 * executor's twin of this suite is in packages/onnx.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { describePlan, EXECUTOR_ONLY_BACKENDS, grad, jit, lax, np, planBackends, propertyRuns, readTree, setBackend, setWebgpuCpuForward, tidy, tree, valueAndGrad, type Array } from "@mmx/core";
import { key } from "@mmx/random";
import { dense, relu, sequential, type ParamTree } from "./index.js";

const plan = await planBackends(undefined, { exclude: EXECUTOR_ONLY_BACKENDS });
if (!process.env["MMX_PLAN_FILE"]) console.log(describePlan(plan));

const special = fc.constantFrom(Number.NaN, Infinity, -Infinity, 0, -0);
const value = fc.oneof(special, fc.float({ min: -3, max: 3, noNaN: true }).map(Math.fround));
const values = (n: number) => fc.array(value, { minLength: n, maxLength: n });

/** Equal as float32 values, NaN equal to NaN (and 0 to -0). */
function expectSameValues(actual: readonly number[], expected: readonly number[], what: string): void {
  expect(actual.length, what).toBe(expected.length);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    if (!(Number.isNaN(a) && Number.isNaN(e)) && a !== e) expect.fail(`${what}: element ${i} is ${a}, expected ${e}`);
  });
}

const reluOf = (v: number) => (Number.isNaN(v) ? Number.NaN : v > 0 ? v : 0);
/** relu's gradient times g: g where x > 0, NaN where x is NaN, 0 elsewhere (g · step(x)). */
const reluGradOf = (v: number, g: number) => (Number.isNaN(v) ? Number.NaN : v > 0 ? g : g * 0);

const model = sequential({ h1: dense(6), a1: relu, h2: dense(5), a2: relu, out: dense(3) }, { inputShape: [-1, 4] });

function loss(params: ParamTree, x: Array, labels: Array): Array {
  const logits = model.apply(params, x).out;
  return np.mean(np.neg(np.sum(np.mul(np.oneHot(labels, 3), np.logSoftmax(logits)), { axis: -1 })));
}
const sgdStep = (params: ParamTree, x: Array, labels: Array) => {
  const [l, g] = valueAndGrad(loss)(params, x, labels) as [Array, unknown];
  return [l, tree.map((p: Array, d: Array) => np.sub(p, np.mul(d, 0.1)), params, g)];
};

for (const backend of plan.run) {
  describe(`${backend}: non-finite values propagate alike, eager and jitted`, () => {
    beforeAll(async () => {
      await setBackend(backend);
      if (backend === "webgpu") setWebgpuCpuForward(false);
    });

    it("relu keeps NaN, and its gradient is g · step(x)", async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 12 }).chain((n) => fc.tuple(values(n), fc.array(fc.float({ min: -2, max: 2, noNaN: true }).map(Math.fround), { minLength: n, maxLength: n }))), async ([xs, gs]) => {
          const f = (x: Array, g: Array) => np.sum(np.mul(lax.relu(x), g));
          const both = (x: Array, g: Array) => [lax.relu(x), grad(f)(x, g)];
          const read = await readTree(
            tidy(() => {
              const x = np.array(xs);
              const g = np.array(gs);
              return { eager: both(x, g), jitted: jit(both)(x, g) };
            }),
          );
          const out = xs.map(reluOf);
          const dx = xs.map((v, i) => reluGradOf(v, gs[i]!));
          for (const mode of ["eager", "jitted"] as const) {
            expectSameValues(read[mode][0]!, out, `${mode} relu`);
            expectSameValues(read[mode][1]!, dx, `${mode} relu gradient`);
          }
        }),
        { numRuns: propertyRuns(backend, 30) },
      );
    });

    it("a model's forward pass and an SGD step: a NaN input gives a NaN loss; eager and jitted agree on every non-finite value", async () => {
      const init = model.init(key(0), [-1, 4]);
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(values(n * 4), fc.array(fc.integer({ min: 0, max: 2 }), { minLength: n, maxLength: n }))), async ([xs, ys]) => {
          const n = ys.length;
          const read = await readTree(
            tidy(() => {
              const x = np.array(xs, { shape: [n, 4] });
              const labels = np.array(ys, { dtype: "int32" });
              const forward = (p: ParamTree, xb: Array) => model.apply(p, xb).out;
              const eager = [forward(init.params, x), ...(tree.leaves(sgdStep(init.params, x, labels)) as Array[])];
              const jitted = [jit(forward)(init.params, x), ...(tree.leaves(jit(sgdStep)(init.params, x, labels)) as Array[])];
              return { eager, jitted };
            }),
          );
          read.eager.forEach((e, i) => {
            const j = read.jitted[i]!;
            expect(j.length).toBe(e.length);
            // Where either side is not finite, both sides hold the same value; finite ones agree closely.
            e.forEach((v, k) => {
              const w = j[k]!;
              if (Number.isFinite(v) && Number.isFinite(w)) expect(Math.abs(v - w), `leaf ${i} element ${k}`).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(v)));
              else if (!(Number.isNaN(v) && Number.isNaN(w)) && v !== w) expect.fail(`leaf ${i} element ${k}: eager ${v}, jitted ${w}`);
            });
          });
          if (xs.some(Number.isNaN)) expect(read.eager[1]![0], "the loss of a batch holding NaN").toBeNaN();
        }),
        { numRuns: propertyRuns(backend, 20) },
      );
    });
  });
}

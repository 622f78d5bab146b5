/**
 * NaN and ±Inf through the ONNX executor: the relu primitive keeps NaN and its gradient is g · step(x),
 * and a small model's forward pass and SGD step hold the same non-finite values as the same jitted
 * program on tfjs's cpu backend (a NaN input gives a NaN loss). The tfjs backends' suite is in
 * packages/nn (non-finite.test.ts).
 */
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { grad, jit, lax, np, readTree, setBackend, tidy, tree, valueAndGrad, type Array } from "@mmx/core";
import { dense, relu, sequential, type ParamTree } from "@mmx/nn";
import { key } from "@mmx/random";
import "./index.js";

afterAll(async () => {
  await setBackend("cpu");
});

const value = fc.oneof(fc.constantFrom(Number.NaN, Infinity, -Infinity, 0, -0), fc.float({ min: -3, max: 3, noNaN: true }).map(Math.fround));
const values = (n: number) => fc.array(value, { minLength: n, maxLength: n });

function expectSame(actual: readonly number[], expected: readonly number[], what: string, rtol = 0): void {
  expect(actual.length, what).toBe(expected.length);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    if (Number.isFinite(a) && Number.isFinite(e)) {
      if (Math.abs(a - e) > rtol * (1 + Math.abs(e))) expect.fail(`${what}: element ${i} is ${a}, expected ${e}`);
    } else if (!(Number.isNaN(a) && Number.isNaN(e)) && a !== e) expect.fail(`${what}: element ${i} is ${a}, expected ${e}`);
  });
}

const model = sequential({ h1: dense(6), a1: relu, h2: dense(5), a2: relu, out: dense(3) }, { inputShape: [-1, 4] });
const loss = (params: ParamTree, x: Array, labels: Array) => np.mean(np.neg(np.sum(np.mul(np.oneHot(labels, 3), np.logSoftmax(model.apply(params, x).out)), { axis: -1 })));
const step = (params: ParamTree, x: Array, labels: Array) => {
  const [l, g] = valueAndGrad(loss)(params, x, labels) as [Array, unknown];
  return [model.apply(params, x).out, l, tree.map((p: Array, d: Array) => np.sub(p, np.mul(d, 0.1)), params, g)];
};

describe("onnx: non-finite values propagate as on tfjs", () => {
  it("relu keeps NaN, and its gradient is g · step(x)", async () => {
    await setBackend("onnx");
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 12 }).chain((n) => fc.tuple(values(n), fc.array(fc.float({ min: -2, max: 2, noNaN: true }).map(Math.fround), { minLength: n, maxLength: n }))), async ([xs, gs]) => {
        const both = (x: Array, g: Array) => [lax.relu(x), grad((a: Array) => np.sum(np.mul(lax.relu(a), g)))(x)];
        const [out, dx] = await readTree(tidy(() => jit(both)(np.array(xs), np.array(gs))));
        expectSame(out!, xs.map((v) => (Number.isNaN(v) ? Number.NaN : v > 0 ? v : 0)), "relu");
        expectSame(dx!, xs.map((v, i) => (Number.isNaN(v) ? Number.NaN : v > 0 ? gs[i]! : gs[i]! * 0)), "relu gradient");
      }),
      { numRuns: 15 },
    );
  });

  it("a model's forward pass and SGD step hold the same non-finite values as jitted cpu", async () => {
    const { params } = model.init(key(0), [-1, 4]);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(values(n * 4), fc.array(fc.integer({ min: 0, max: 2 }), { minLength: n, maxLength: n }))), async ([xs, ys]) => {
        const run = async (backend: string) => {
          await setBackend(backend);
          return readTree(tidy(() => tree.leaves(jit(step)(params, np.array(xs, { shape: [ys.length, 4] }), np.array(ys, { dtype: "int32" }))) as Array[]));
        };
        const cpu = await run("cpu");
        const onnx = await run("onnx");
        onnx.forEach((o, i) => expectSame(o, cpu[i]!, `leaf ${i}`, 1e-4));
        if (xs.some(Number.isNaN)) expect(onnx[1]![0], "the loss of a batch holding NaN").toBeNaN();
      }),
      { numRuns: 10 },
    );
  });
});

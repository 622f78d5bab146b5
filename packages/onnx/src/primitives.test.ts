import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { dispose, jit, np, PRIMITIVE_KINDS, registerExecutor, setBackend, vjp, type Array as MxArray, type Primitive } from "@mmx/core";
import { expectAllClose } from "../../core/src/test-util/close.js";
import { caseName, differentiatedArgs, ofDifferentiated, operandArray } from "../../core/src/test-util/case-operands.js";
import { lcg } from "../../core/src/test-util/lcg.js";
import { primitiveCases, uncoveredPrimitives, type Operand, type PrimitiveCase } from "../../core/src/test-util/primitive-cases.js";
import { createOnnxExecutor } from "./index.js";
import { onnxUnderTest } from "./testing-only/under-test.js";
import { DEFAULT_LOWERING_OPTIONS, onnxLowerings } from "./lowerings.js";
import type { LoweringOptions } from "./lowerings.js";

/**
 * Every primitive and its VJP, jitted, on onnx against the same jitted program on tfjs's cpu backend
 * (which core's own suite checks against tfjs's tape and finite differences). The operands come from
 * core's case table, so a primitive added there is covered here too.
 */
const RUNS = Number(process.env.MMX_PROPERTY_RUNS ?? 8);
const underTest = await onnxUnderTest();

const values = (a: MxArray) => Array.from(a.dataSync(), Number);

interface Result {
  out: number[];
  grads: number[][];
}

/** The case's value and its VJP against a seeded cotangent, each as one jitted program (all operands are program inputs). */
function computeJitted(c: PrimitiveCase, ops: Operand[], extra: unknown, seed: number): Result {
  const xs = ops.map((o) => operandArray(o));
  const made: MxArray[] = [...xs];
  try {
    const forward = jit((...as: MxArray[]) => c.mmx(as, extra));
    const out = forward(...xs);
    made.push(out);
    const result: Result = { out: values(out), grads: [] };
    const diffArgs = differentiatedArgs(c);
    if (diffArgs.length === 0 || out.dtype !== "float32") return result;
    const rand = lcg(seed);
    const ct = np.array(Array.from({ length: out.size }, () => rand() * 2 - 1), { shape: out.shape });
    made.push(ct);
    const backward = jit((all: MxArray[], cot: MxArray) => {
      const [, pullback] = vjp(ofDifferentiated(c, all, extra, diffArgs), ...diffArgs.map((i) => all[i]!));
      return pullback(cot) as MxArray[];
    });
    const grads = backward(xs, ct);
    made.push(...grads);
    result.grads = grads.map(values);
    return result;
  } finally {
    dispose(made);
  }
}

async function agree(c: PrimitiveCase, lowering?: LoweringOptions, runs = RUNS) {
  if (lowering) registerExecutor("onnx", createOnnxExecutor(lowering));
  try {
    await fc.assert(
      fc.asyncProperty(c.operands, fc.integer({ min: 1, max: 2 ** 30 }), async ({ ops, extra }, seed) => {
        await setBackend("cpu");
        const ref = computeJitted(c, ops, extra, seed);
        await setBackend("onnx");
        const mine = computeJitted(c, ops, extra, seed);
        const tol = c.tol ?? { rtol: 1e-4, atol: 1e-5 };
        expectAllClose(mine.out, ref.out, { ...tol, what: `${caseName(c)} value, onnx vs cpu` });
        expect(mine.grads.length).toBe(ref.grads.length);
        ref.grads.forEach((g, i) => expectAllClose(mine.grads[i]!, g, { ...tol, what: `${caseName(c)} VJP of operand ${i}, onnx vs cpu` }));
      }),
      { numRuns: runs },
    );
  } finally {
    if (lowering) registerExecutor("onnx", createOnnxExecutor());
  }
}

afterAll(async () => {
  await setBackend("cpu");
});

describe("the ONNX lowering table", () => {
  it("has a lowering for every primitive, and core's case table covers every primitive", () => {
    const all = Object.keys(onnxLowerings) as Primitive[];
    expect([...all].sort()).toEqual(Object.keys(PRIMITIVE_KINDS).sort());
    expect(uncoveredPrimitives(all)).toEqual([]);
    expect(new Set(primitiveCases.map((c) => c.primitive))).toEqual(new Set(all));
  });
});

describe.runIf(underTest)("onnx: agrees with cpu on every primitive and its VJP, jitted", () => {
  for (const c of primitiveCases) it(caseName(c), () => agree(c));
});

describe.runIf(underTest)("onnx: the other convolution formulations agree too", () => {
  const convCases = primitiveCases.filter((c) => c.primitive === "conv" || c.primitive === "conv_transpose" || c.primitive === "conv_filter_grad");
  for (const lowering of [
    { filterGrad: "taps", inputGrad: "convtranspose" },
    { filterGrad: "conv", inputGrad: "convtranspose" },
  ] as const) {
    for (const c of convCases) it(`${caseName(c)} with ${JSON.stringify(lowering)}`, () => agree(c, { ...DEFAULT_LOWERING_OPTIONS, ...lowering }, Math.max(4, RUNS >> 1)));
  }
});

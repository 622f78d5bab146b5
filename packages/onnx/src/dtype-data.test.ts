import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { DeviceArray, dispose, jit, np, setBackend, type Array as NDArray, type DType } from "@mmx/core";
import { caseName, operandArray } from "../../core/src/test-util/case-operands.js";
import { primitiveCases } from "../../core/src/test-util/primitive-cases.js";
import "./index.js";
import { onnxUnderTest } from "./testing-only/under-test.js";

/**
 * onnx runs eager operations on tfjs's cpu backend and feeds their data to onnxruntime as it is: each
 * primitive's eager result must hold data of its dtype's class, or a jitted program taking it fails. Every
 * primitive's value, made eagerly and then passed through a jitted program, and made jitted.
 */
const underTest = await onnxUnderTest();
const CLASS: Readonly<Record<DType, string>> = { float32: "Float32Array", int32: "Int32Array", bool: "Uint8Array" };
const heldClass = (x: NDArray) => (x instanceof DeviceArray ? x.tensor.dataSync() : x.dataSync()).constructor.name;

afterAll(async () => {
  await setBackend("cpu");
});

describe.skipIf(!underTest)("onnx: eager results feed jitted programs, whatever primitive made them", () => {
  it("the reported case: eagerly one-hot encoded labels train a jitted program", async () => {
    await setBackend("onnx");
    const y = np.oneHot(np.array([0, 1, 2], { dtype: "int32" }), 3);
    expect(heldClass(y)).toBe("Float32Array");
    const total = jit((t: NDArray) => np.sum(np.mul(t, 2)))(y);
    expect(total.item()).toBe(6);
  });

  for (const c of primitiveCases) {
    it(caseName(c), async () => {
      await setBackend("onnx");
      await fc.assert(
        fc.asyncProperty(c.operands, async ({ ops, extra }) => {
          const xs = ops.map((o) => operandArray(o));
          const eager = c.mmx(xs, extra);
          const passed = jit((a: NDArray) => np.reshape(a, [-1]))(eager);
          const jitted = jit((...as: NDArray[]) => c.mmx(as, extra))(...xs);
          try {
            for (const [what, a] of [["eager", eager], ["passed through jit", passed], ["jitted", jitted]] as const) {
              expect(heldClass(a), `${caseName(c)} ${what} (${a.aval})`).toBe(CLASS[a.dtype]);
            }
            expect([...passed.dataSync()]).toEqual([...eager.dataSync()]);
          } finally {
            dispose([xs, eager, passed, jitted]);
          }
        }),
        { numRuns: 3 },
      );
    });
  }
});

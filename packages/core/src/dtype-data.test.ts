import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { describePlan, DeviceArray, dispose, EXECUTOR_ONLY_BACKENDS, jit, np, planBackends, setBackend, vjp, type DType, type Array as NDArray } from "./index.js";
import { caseName, differentiatedArgs, ofDifferentiated, operandArray } from "./test-util/case-operands.js";
import { primitiveCases, type PrimitiveCase } from "./test-util/primitive-cases.js";
import { useTestBackend } from "./test-util/use-backend.js";

/**
 * An array's data is of the typed-array class its dtype names, for every primitive's value and VJP, eager and
 * jitted, on every backend under test. Executors hand an input's data to another runtime as it is (onnx feeds
 * the cpu backend's own arrays), so a float32 array that holds an Int32Array is read as garbage or rejected there.
 */
const plan = await planBackends(undefined, { exclude: EXECUTOR_ONLY_BACKENDS });
if (!process.env["MMX_PLAN_FILE"]) console.log(describePlan(plan));

const CLASS: Readonly<Record<DType, string>> = { float32: "Float32Array", int32: "Int32Array", bool: "Uint8Array" };

/** The class of the values the backend holds (not a copy made for the reader). */
async function heldClass(x: NDArray): Promise<string> {
  const held = x instanceof DeviceArray ? await x.tensor.data() : await x.data();
  return held.constructor.name;
}

/** The case's value and its VJP (float outputs) against a ones cotangent. */
function valueAndPullback(c: PrimitiveCase, xs: NDArray[], extra: unknown): NDArray[] {
  const out = c.mmx(xs, extra);
  const diffArgs = differentiatedArgs(c);
  if (diffArgs.length === 0 || out.dtype !== "float32") return [out];
  const [, pullback] = vjp(ofDifferentiated(c, xs, extra, diffArgs), ...diffArgs.map((i) => xs[i]!));
  return [out, ...(pullback(np.onesLike(out)) as NDArray[])];
}

async function expectHonestData(arrays: readonly NDArray[], what: string): Promise<void> {
  for (const [i, a] of arrays.entries()) expect(await heldClass(a), `${what}: output ${i} (${a.aval})`).toBe(CLASS[a.dtype]);
}

afterAll(async () => {
  await setBackend("cpu");
});

for (const backend of plan.run) {
  describe(`${backend}: every primitive's data is of its dtype's typed-array class`, () => {
    for (const c of primitiveCases) {
      it(caseName(c), async () => {
        await useTestBackend(backend);
        await fc.assert(
          fc.asyncProperty(c.operands, async ({ ops, extra }) => {
            const xs = ops.map((o) => operandArray(o));
            const eager = valueAndPullback(c, xs, extra);
            const jitted = jit((...as: NDArray[]) => valueAndPullback(c, as, extra))(...xs);
            try {
              await expectHonestData(eager, `${caseName(c)} eager on ${backend}`);
              await expectHonestData(jitted, `${caseName(c)} jitted on ${backend}`);
            } finally {
              dispose([xs, eager, jitted]);
            }
          }),
          { numRuns: 5 },
        );
      });
    }
  });
}

describe("the reported case", () => {
  it("np.oneHot of int32 labels holds a Float32Array on cpu (the backend onnx runs eager operations on)", async () => {
    await setBackend("cpu");
    const labels = np.array([0, 1, 2], { dtype: "int32" });
    const y = np.oneHot(labels, 3);
    expect(y.dtype).toBe("float32");
    expect(await heldClass(y)).toBe("Float32Array");
    expect([...y.dataSync()]).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  });
});

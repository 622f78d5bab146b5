import { afterAll, describe, expect, it } from "vitest";
import { ClosedJaxpr, Jaxpr, jit, makeJaxpr, namedScope, np, setBackend, Var, type Array, type Eqn } from "@mmx/core";
import { OnnxLoweringError, lowerToOnnx } from "./index.js";

afterAll(async () => {
  await setBackend("cpu");
});

describe("errors name the primitive and the layer", () => {
  it("a primitive without an ONNX lowering fails at lowering time", () => {
    // A jaxpr as a newer core could emit it: one equation of a primitive this package does not know.
    const x = new Var(makeJaxpr((a: Array) => np.exp(a))(np.array([1, 2])).jaxpr.inBinders[0]!.aval);
    const out = new Var(x.aval);
    const eqn = { primitive: "cumsum", inputs: [x], params: {}, out, scope: "encoder.block3.attn" } as unknown as Eqn;
    const closed = new ClosedJaxpr(new Jaxpr([], [x], [eqn], [out]), []);
    expect(() => lowerToOnnx(closed)).toThrow(OnnxLoweringError);
    expect(() => lowerToOnnx(closed)).toThrow(/cannot lower cumsum in layer "encoder\.block3\.attn" to ONNX: no ONNX lowering/);
    try {
      lowerToOnnx(closed);
    } catch (e) {
      expect((e as OnnxLoweringError).primitive).toBe("cumsum");
      expect((e as OnnxLoweringError).scope).toBe("encoder.block3.attn");
    }
  });

  it("outside any layer, it says so", () => {
    const x = new Var(makeJaxpr((a: Array) => np.exp(a))(np.array([1])).jaxpr.inBinders[0]!.aval);
    const out = new Var(x.aval);
    const closed = new ClosedJaxpr(new Jaxpr([], [x], [{ primitive: "cumsum", inputs: [x], params: {}, out, scope: "" } as unknown as Eqn], [out]), []);
    expect(() => lowerToOnnx(closed)).toThrow(/cannot lower cumsum \(outside any layer\)/);
  });

  it("a failure inside onnxruntime at run time names the layer through the node's name", async () => {
    await setBackend("onnx");
    const table = np.array([[1, 2], [3, 4]]);
    const f = jit((ids: Array) => namedScope("embedding", () => np.take(table, ids, 0)));
    const ok = f(np.array([1, 0], { dtype: "int32" }));
    expect(globalThis.Array.from(ok.dataSync())).toEqual([3, 4, 1, 2]);
    expect(() => f(np.array([1, 7], { dtype: "int32" }))).toThrow(/onnxruntime: .*take@embedding/);
  });

  it("a jitted program refuses inputs of another type", async () => {
    await setBackend("onnx");
    const f = jit((a: Array) => np.exp(a));
    const program = f.lower(np.array([1, 2]));
    const { OnnxProgram } = await import("./index.js");
    const p = new OnnxProgram(program);
    expect(() => p.run([np.array([1, 2, 3])])).toThrow(/input 0 is f32\[3\], the program expects f32\[2\]/);
    expect(() => p.run([])).toThrow(/takes 1 inputs, got 0/);
    p.dispose();
  });
});

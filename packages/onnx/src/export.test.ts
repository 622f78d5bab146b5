import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dispose, np, setBackend, type Array } from "@mmx/core";
import * as nn from "@mmx/nn";
import { key } from "@mmx/random";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { expectAllClose } from "../../core/src/test-util/close.js";
import { decodeModel, exportOnnx, IR_VERSION, OPSET } from "./index.js";

/**
 * exportOnnx writes a forward pass as a standalone .onnx file: loaded back through onnxruntime's
 * public (asynchronous) API from the file, it gives the outputs mmx computes.
 */
const dir = mkdtempSync(join(tmpdir(), "mmx-onnx-export-"));
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await setBackend("cpu");
});

async function runFile(path: string, feeds: Record<string, { data: Float32Array | Int32Array; shape: readonly number[] }>) {
  const session = await InferenceSession.create(path);
  try {
    const inputs = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new Tensor(v.data instanceof Int32Array ? "int32" : "float32", v.data, [...v.shape])]));
    const out = await session.run(inputs);
    return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { data: t.data as Float32Array, dims: t.dims }]));
  } finally {
    await session.release();
  }
}

describe("exportOnnx", () => {
  it("round-trips a small CNN in eval mode with its trained parameters baked in", async () => {
    await setBackend("cpu");
    const model = nn.smallCnn();
    const { params } = model.init(key(4), [-1, 28, 28, 1]);
    const x = np.array(Float32Array.from({ length: 2 * 28 * 28 }, (_, i) => Math.sin(i * 0.01)), { shape: [2, 28, 28, 1] });
    const forward = (xs: Array) => model.apply(params, xs, { train: false }).out;
    const exported = exportOnnx(forward, x);
    expect(exported.inputs).toEqual([{ name: "input", dtype: "float32", shape: [2, 28, 28, 1] }]);
    expect(exported.outputs).toEqual([{ name: "output", dtype: "float32", shape: [2, 10] }]);
    const path = join(dir, "cnn.onnx");
    exported.save(path);
    expect(readFileSync(path).byteLength).toBe(exported.bytes.byteLength);

    const decoded = decodeModel(readFileSync(path));
    expect(Number(decoded.ir_version)).toBe(IR_VERSION);
    expect(decoded.opset_import.map((o) => [o.domain, Number(o.version)])).toEqual([["", OPSET]]);
    // The parameters are initializers: 2 conv kernels + biases, 2 dense weights + biases.
    const baked = decoded.graph.initializer.filter((t) => t.name.startsWith("param_")).map((t) => t.dims.map(Number));
    expect(baked).toEqual([[3, 3, 1, 32], [32], [3, 3, 32, 64], [64], [3136, 128], [128], [128, 10], [10]]);

    const got = await runFile(path, { input: { data: x.dataSync() as Float32Array, shape: x.shape } });
    const expected = forward(x);
    expect(got.output!.dims).toEqual([2, 10]);
    expectAllClose(globalThis.Array.from(got.output!.data), globalThis.Array.from(expected.dataSync()), { rtol: 1e-4, atol: 1e-5, what: "exported CNN logits" });
    dispose([params, x, expected]);
  });

  it("names several inputs and outputs after their pytree paths, int32 inputs included", async () => {
    await setBackend("cpu");
    const table = np.array([[1, 2], [3, 4], [5, 6]]);
    const f = (inp: { ids: Array; scale: Array }) => {
      const rows = np.take(table, inp.ids, 0);
      return { scaled: np.mul(rows, inp.scale), total: np.sum(rows) };
    };
    const ids = np.array([2, 0, 2], { dtype: "int32" });
    const scale = np.array(3);
    const exported = exportOnnx(f, { ids, scale });
    expect(exported.inputs.map((i) => [i.name, i.dtype])).toEqual([
      ["input_0_ids", "int32"],
      ["input_0_scale", "float32"],
    ]);
    expect(exported.outputs.map((o) => o.name)).toEqual(["output_scaled", "output_total"]);
    const path = join(dir, "take.onnx");
    exported.save(path);
    const got = await runFile(path, { input_0_ids: { data: new Int32Array([2, 0, 2]), shape: [3] }, input_0_scale: { data: new Float32Array([3]), shape: [] } });
    expect(globalThis.Array.from(got.output_scaled!.data)).toEqual([15, 18, 3, 6, 15, 18]);
    expect(globalThis.Array.from(got.output_total!.data)).toEqual([25]);
    dispose([table, ids, scale]);
  });

  it("says which file it could not write", () => {
    const exported = exportOnnx((a: Array) => np.exp(a), np.array([1, 2]));
    const path = join(dir, "missing-dir", "f.onnx");
    expect(() => exported.save(path)).toThrow(/could not write .*missing-dir/);
  });
});

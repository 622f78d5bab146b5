import { describe, expect, it } from "vitest";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { AttributeType, decodeModel, encodeModel, valueInfo, type ModelMessage } from "./proto-api.js";

/**
 * `@mmx/onnx/proto`, the entry for tools that write their own small models: a one-node Gemm model written with it
 * loads and runs in onnxruntime and decodes back to what was written; a malformed message is a one-line error.
 */
const gemm = (): ModelMessage => ({
  ir_version: 8,
  opset_import: [{ domain: "", version: 17 }],
  producer_name: "proto-api test",
  producer_version: "0",
  graph: {
    name: "gemm",
    node: [
      {
        name: "g",
        op_type: "Gemm",
        input: ["a", "b", "c"],
        output: ["y"],
        attribute: [
          { name: "transB", type: AttributeType.INT, i: 1 },
          { name: "beta", type: AttributeType.FLOAT, f: 0.5 },
        ],
      },
    ],
    initializer: [],
    input: [valueInfo("a", "float32", [2, 3]), valueInfo("b", "float32", [2, 3]), valueInfo("c", "float32", [2, 2])],
    output: [valueInfo("y", "float32", [2, 2])],
  },
});

describe("@mmx/onnx/proto", () => {
  it("a Gemm model written with it runs in onnxruntime: y = a·bᵀ + 0.5·c", async () => {
    const session = await InferenceSession.create(encodeModel(gemm()));
    try {
      const a = Float32Array.of(1, 2, 3, 4, 5, 6);
      const b = Float32Array.of(1, 0, 1, 0, 1, 0);
      const c = Float32Array.of(2, 4, 6, 8);
      const out = await session.run({ a: new Tensor("float32", a, [2, 3]), b: new Tensor("float32", b, [2, 3]), c: new Tensor("float32", c, [2, 2]) });
      expect(out["y"]!.dims).toEqual([2, 2]);
      expect(Array.from(out["y"]!.data as Float32Array)).toEqual([1 + 3 + 1, 2 + 2, 4 + 6 + 3, 5 + 4]);
    } finally {
      await session.release();
    }
  });

  it("decodes back to the message it encoded", () => {
    const decoded = decodeModel(encodeModel(gemm()));
    expect(decoded.graph.node[0]!.attribute.map((x) => [x.name, x.type, x.name === "beta" ? x.f : x.i])).toEqual([["transB", AttributeType.INT, 1], ["beta", AttributeType.FLOAT, 0.5]]);
    expect(decoded.graph.input.map((v) => [v.name, v.type.tensor_type.shape.dim.map((d) => Number(d.dim_value))])).toEqual([["a", [2, 3]], ["b", [2, 3]], ["c", [2, 2]]]);
  });

  it("a message that does not fit the schema is a one-line error naming the field", () => {
    const bad = { ...gemm(), ir_version: "eight" as never };
    expect(() => encodeModel(bad)).toThrow(/^encodeModel: the model does not fit the ONNX schema: ir_version: integer\|Long expected$/);
  });
});

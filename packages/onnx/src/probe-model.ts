import { valueInfo } from "./graph-builder.js";
import { encodeModel } from "./proto.js";

/** A one-node model, y = -x over `length` floats: what a provider probe loads (and, in the browser, runs). */
export function probeModel(length: number): Uint8Array {
  return encodeModel({
    ir_version: 8,
    opset_import: [{ domain: "", version: 17 }],
    producer_name: "mmx",
    producer_version: "0.0.0",
    graph: { name: "probe", node: [{ name: "n", op_type: "Neg", input: ["x"], output: ["y"], attribute: [] }], initializer: [], input: [valueInfo("x", "float32", [length])], output: [valueInfo("y", "float32", [length])] },
  });
}

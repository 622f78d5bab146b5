import { writeFileSync } from "node:fs";
import { registerBackendProvider, registerExecutor } from "@mmx/core";
import { nodeBinding } from "./binding-node.js";
import { onnxDevice } from "./device.js";
import { createOnnxExecutor } from "./executor.js";
import { setFileWriter } from "./export.js";
import { ortRuntime } from "./ort-sync.js";
import { setBindingFactory } from "./runtime.js";

/**
 * Importing @mmx/onnx in Node makes `setBackend("onnx")` work: jitted programs go to onnxruntime-node
 * as whole graphs, and eager operations run on tfjs's cpu backend beside it (its arrays are plain
 * typed arrays, which onnxruntime reads without copying).
 */
setBindingFactory(nodeBinding);
setFileWriter((path, bytes) => writeFileSync(path, bytes));
registerExecutor("onnx", createOnnxExecutor());
registerBackendProvider("onnx", {
  eagerBackend: "cpu",
  activate: async () => {
    ortRuntime();
    onnxDevice();
  },
  probe: async () => {
    try {
      return { ok: true, detail: onnxDevice().detail };
    } catch (e) {
      return { ok: false, reason: (e as Error).message };
    }
  },
});

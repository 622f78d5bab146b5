import { registerBackendProvider, registerExecutor } from "@mmx/core";
import { onnxDevice } from "./device.js";
import { createOnnxExecutor } from "./executor.js";
import { ortRuntime } from "./ort-sync.js";

/**
 * Importing @mmx/onnx makes `setBackend("onnx")` work: jitted programs go to onnxruntime as whole
 * graphs, and eager operations run on tfjs's cpu backend beside it (its arrays are plain typed
 * arrays, which onnxruntime reads without copying).
 */
registerExecutor("onnx", createOnnxExecutor());
registerBackendProvider("onnx", {
  eagerBackend: "cpu",
  register: async () => {
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

import { registerBackendProvider, registerExecutor } from "@mmx/core";
import { lazyWebBinding, loadOrtWeb, probeProvider } from "./binding-web.js";
import { onnxRuntimeOptions } from "./device.browser.js";
import { createOnnxExecutor } from "./executor.js";
import { setBindingFactory } from "./runtime.js";

/**
 * Importing @mmx/onnx in a browser makes `setBackend("onnx")` work on onnxruntime-web: the same
 * lowered graphs as in Node, on its wasm or WebGPU execution provider (setOnnxRuntimeOptions picks).
 * Its runs are asynchronous, so jitted functions run with `await f.callAsync(...)`; eager operations
 * run on tfjs's cpu backend beside it.
 */
setBindingFactory(lazyWebBinding);
registerExecutor("onnx", createOnnxExecutor());
registerBackendProvider("onnx", {
  eagerBackend: "cpu",
  activate: async () => {
    await loadOrtWeb();
  },
  probe: () => probeProvider(onnxRuntimeOptions().provider),
});

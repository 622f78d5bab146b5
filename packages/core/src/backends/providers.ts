import { describeTensorflowPackage, loadTensorflowBackend } from "./tensorflow.js";
import { registerWebgpuBackend } from "./webgpu.js";
import { webgpuAvailableQuietly } from "./webgpu-quiet-probe.js";
import { registerTfjsBackend, registerUnavailableBackend } from "./tfjs-backends.js";

/** The backends of Node: wasm (always there), webgl (listed, a browser's only) and the optional ones, each loaded only when its packages are present. */
registerTfjsBackend("wasm", {
  probe: async () => ({ ok: true, detail: "tfjs wasm (XNNPACK, SIMD, one thread in Node)" }),
});

registerUnavailableBackend("webgl", "it runs in a browser only (WebGL2, through @tensorflow/tfjs-backend-webgl); Node has no WebGL");

registerTfjsBackend("webgpu", {
  load: () => registerWebgpuBackend(),
  // Listing backends does not ask for webgpu: Dawn's stderr output stays in a child process.
  probe: async () => {
    const a = await webgpuAvailableQuietly();
    return a.ok ? { ok: true, detail: `tfjs webgpu on Dawn (${a.adapter})` } : a;
  },
});

registerTfjsBackend("tensorflow", {
  load: async () => {
    await loadTensorflowBackend();
  },
  probe: async () => {
    try {
      return { ok: true, detail: describeTensorflowPackage(await loadTensorflowBackend()) };
    } catch (e) {
      return { ok: false, reason: e instanceof Error ? e.message : String(e) };
    }
  },
});

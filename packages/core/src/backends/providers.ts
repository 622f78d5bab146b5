import { registerBackendProvider } from "../backend.js";
import { describeTensorflowPackage, loadTensorflowBackend } from "./tensorflow.js";
import { registerWebgpuBackend } from "./webgpu.js";
import { webgpuAvailableQuietly } from "./webgpu-quiet-probe.js";

/** The backends of Node: wasm (always there) and the optional ones, each loaded only when its packages are present. */
registerBackendProvider("wasm", {
  register: async () => {},
  probe: async () => ({ ok: true, detail: "tfjs wasm (XNNPACK, SIMD, one thread in Node)" }),
});

registerBackendProvider("webgpu", {
  register: () => registerWebgpuBackend(),
  // Listing backends does not ask for webgpu: Dawn's stderr output stays in a child process.
  probe: async () => {
    const a = await webgpuAvailableQuietly();
    return a.ok ? { ok: true, detail: `tfjs webgpu on Dawn (${a.adapter})` } : a;
  },
});

registerBackendProvider("tensorflow", {
  register: async () => {
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

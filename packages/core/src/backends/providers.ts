import { registerBackendProvider } from "../backend.js";
import { registerWebgpuBackend, webgpuAvailable } from "./webgpu.js";

/** The optional backends mmx knows how to load, each only when its packages are present. */
registerBackendProvider("webgpu", {
  register: () => registerWebgpuBackend(),
  probe: async () => {
    const a = await webgpuAvailable();
    return a.ok ? { ok: true, detail: `tfjs webgpu on Dawn (${a.adapter})` } : a;
  },
});

import { getThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { registerTfjsBackend, registerUnavailableBackend } from "./tfjs-backends.js";
import { initialisesTfjs } from "./tfjs-probe.js";
import { registerWebgpuBackend, webgpuAvailable } from "./webgpu-browser.js";

/**
 * The backends of a browser page. tfjs's wasm backend registers itself when @mmx/core loads, but runs only where
 * the page serves its .wasm files (setWasmPaths), so it is probed by initialising it; webgl and webgpu are imported
 * on first use.
 */
function crossOriginIsolated(): boolean {
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
}

registerTfjsBackend("wasm", {
  probe: async () => {
    const init = await initialisesTfjs("wasm");
    if (!init.ok) return { ok: false, reason: `${init.reason} (serve tfjs's .wasm files with the page and call setWasmPaths(prefix) first)` };
    const threads = getThreadsCount();
    return {
      ok: true,
      detail: crossOriginIsolated()
        ? `tfjs wasm (XNNPACK, SIMD, ${threads} thread${threads === 1 ? "" : "s"}: the page is cross-origin isolated)`
        : "tfjs wasm (XNNPACK, SIMD, one thread: threads need a cross-origin isolated page, COOP/COEP headers)",
    };
  },
});

const registerWebgl = async () => {
  await import("@tensorflow/tfjs-backend-webgl");
};

registerTfjsBackend("webgl", {
  load: registerWebgl,
  probe: async () => {
    await registerWebgl();
    const init = await initialisesTfjs("webgl");
    return init.ok ? { ok: true, detail: "tfjs webgl (WebGL2 fragment shaders)" } : { ok: false, reason: init.reason };
  },
});

registerTfjsBackend("webgpu", {
  load: () => registerWebgpuBackend(),
  probe: async () => {
    const a = await webgpuAvailable();
    return a.ok ? { ok: true, detail: `tfjs webgpu on navigator.gpu (${a.adapter})` } : a;
  },
});

registerUnavailableBackend("tensorflow", "it runs in Node only ('@tensorflow/tfjs-node' or '@tensorflow/tfjs-node-gpu')");

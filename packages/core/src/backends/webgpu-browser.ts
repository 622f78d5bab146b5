/**
 * The tfjs WebGPU backend in a browser, on `navigator.gpu`. Chrome and Edge (113+) expose it in secure contexts
 * (https, or http on localhost / 127.0.0.1); headless Chromium needs `--enable-unsafe-webgpu`, and without a GPU it
 * gives a SwiftShader adapter (WebGPU emulated on the CPU: correct, not fast). `@tensorflow/tfjs-backend-webgpu` is
 * imported on first use, so a page that never asks for webgpu loads none of it.
 */
import { ensureWebgpuFactory, hookDevices, messageOf, probeAdapter, retryable, WebgpuUnavailableError, type GpuLike, type WebgpuAvailability } from "./webgpu-common.js";

export { setWebgpuCpuForward, takeWebgpuErrors, WebgpuUnavailableError, type WebgpuAvailability } from "./webgpu-common.js";

function navigatorGpu(): GpuLike {
  const gpu = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
  if (gpu === undefined) {
    const secure = (globalThis as { isSecureContext?: boolean }).isSecureContext;
    throw new WebgpuUnavailableError(
      secure === false
        ? "WebGPU: navigator.gpu is absent because this page is not a secure context; serve it over https or from localhost"
        : "WebGPU: this browser exposes no navigator.gpu (Chrome/Edge 113+ have it; headless Chromium needs --enable-unsafe-webgpu)",
    );
  }
  return gpu;
}

const noAdapter = () => "WebGPU: navigator.gpu.requestAdapter() found no adapter (the GPU is blocklisted or WebGPU is disabled; see chrome://gpu)";

const probe = retryable(async () => probeAdapter(navigatorGpu(), noAdapter));

/** Whether the tfjs webgpu backend can run in this page: asks navigator.gpu for an adapter and a device. Never throws. */
export async function webgpuAvailable(): Promise<WebgpuAvailability> {
  try {
    return { ok: true, adapter: await probe() };
  } catch (e) {
    return { ok: false, reason: messageOf(e) };
  }
}

/** Makes `setBackend('webgpu')` work in this page: checks for an adapter, then imports and registers tfjs's backend. */
export const registerWebgpuBackend = retryable(async () => {
  await probe();
  const gpu = navigatorGpu();
  hookDevices(gpu);
  ensureWebgpuFactory(await import("@tensorflow/tfjs-backend-webgpu"), gpu, noAdapter);
});

/**
 * @mmx/core: arrays, pytrees, primitives with shape rules, the tracer, the Jaxpr IR, reverse-mode
 * autodiff and jit, lowered to TensorFlow.js kernels. This is the Node entry; bundlers that target
 * a browser get ./index.browser.ts (the "browser" export condition), with the same API.
 */
export * from "./api.js";
import "./backends/providers.js"; // optional backends (webgpu on Dawn, tensorflow), loaded on demand
export { webgpuAvailable, takeWebgpuErrors, setWebgpuCpuForward, WebgpuUnavailableError, type WebgpuAvailability } from "./backends/webgpu.js";

/**
 * @mmx/core: arrays, pytrees, primitives with shape rules, the tracer, the Jaxpr IR, reverse-mode
 * autodiff and jit, lowered to TensorFlow.js kernels. This is the Node entry; bundlers that target
 * a browser get ./index.browser.ts (the "browser" export condition), with the same API.
 */
// tfjs's declarations, which ours reach, name `Long` and `EmscriptenModule`, globals of @types/long and
// @types/emscripten (tfjs's own dependencies). A project whose tsconfig lists `types` (tsc --init writes
// `"types": []`) would not load them, and its check with skipLibCheck: false would fail inside tfjs; these
// references, kept in our .d.ts, load them for it.
/// <reference types="long" preserve="true" />
/// <reference types="emscripten" preserve="true" />
export * from "./api.js";
import "./backends/providers.js"; // optional backends (webgpu on Dawn, tensorflow), loaded on demand
export { webgpuAvailable, takeWebgpuErrors, setWebgpuCpuForward, WebgpuUnavailableError, type WebgpuAvailability } from "./backends/webgpu.js";

/**
 * @mmx/core in a browser (the "browser" export condition): the API of the Node entry, with the
 * browser's backends (wasm with its .wasm files served by the page, webgl, webgpu on navigator.gpu)
 * and no Node built-in.
 */
// tfjs's declarations, which ours reach, name `Long` and `EmscriptenModule`, globals of @types/long and
// @types/emscripten (tfjs's own dependencies). A project whose tsconfig lists `types` (tsc --init writes
// `"types": []`) would not load them, and its check with skipLibCheck: false would fail inside tfjs; these
// references, kept in our .d.ts, load them for it.
/// <reference types="long" preserve="true" />
/// <reference types="emscripten" preserve="true" />
export * from "./api.js";
import "./backends/providers.browser.js"; // wasm, webgl and webgpu, each probed and loaded on first use
export { webgpuAvailable, takeWebgpuErrors, setWebgpuCpuForward, WebgpuUnavailableError, type WebgpuAvailability } from "./backends/webgpu-browser.js";

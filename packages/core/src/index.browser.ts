/**
 * @mmx/core in a browser (the "browser" export condition): the API of the Node entry, with the
 * browser's backends (wasm with its .wasm files served by the page, webgl, webgpu on navigator.gpu)
 * and no Node built-in.
 */
export * from "./api.js";
import "./backends/providers.browser.js"; // wasm, webgl and webgpu, each probed and loaded on first use
export { webgpuAvailable, takeWebgpuErrors, setWebgpuCpuForward, WebgpuUnavailableError, type WebgpuAvailability } from "./backends/webgpu-browser.js";

/**
 * @mmx/onnx in a browser (the "browser" export condition): the same lowering as in Node, run on
 * onnxruntime-web (its wasm or WebGPU execution provider). Importing it registers the 'onnx' backend;
 * jitted functions run there with `await f.callAsync(...)`.
 */
import "./register.browser.js";

export * from "./api.js";
export { setOnnxRuntimeOptions, onnxRuntimeOptions, PROVIDERS, type OnnxRuntimeOptions, type ProviderName } from "./device.browser.js";
export { availableOnnxProviders } from "./binding-web.js";

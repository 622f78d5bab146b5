/**
 * @mmx/onnx: an ONNX Runtime executor for jit (whole programs, gradients included, lowered to one
 * ONNX graph and run in onnxruntime-node), and exportOnnx. Importing it registers the 'onnx' backend.
 * This is the Node entry; bundlers that target a browser get ./index.browser.ts (onnxruntime-web).
 */
import "./register.js";

export * from "./api.js";
export { onnxDevice, setOnnxRuntimeOptions, onnxRuntimeOptions, type OnnxDevice, type OnnxRuntimeOptions, type ProviderName } from "./device.js";
export { SUPPORTED_ORT_VERSION } from "./ort-sync.js";

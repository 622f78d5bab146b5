/**
 * @mmx/onnx: an ONNX Runtime executor for jit (whole programs, gradients included, lowered to one
 * ONNX graph and run in onnxruntime-node), and exportOnnx. Importing it registers the 'onnx' backend.
 */
import "./register.js";

export { exportOnnx, type ExportedOnnx, type OnnxTensorSpec } from "./export.js";
export { createOnnxExecutor, OnnxProgram } from "./executor.js";
export { lowerToOnnx, OnnxLoweringError, OPSET, IR_VERSION, type LoweredModel, type LowerOptions } from "./lower-jaxpr.js";
export { DEFAULT_LOWERING_OPTIONS, type LoweringOptions } from "./lowerings.js";
export type { FilterGradStrategy, InputGradStrategy } from "./lower-conv.js";
export { onnxDevice, setOnnxRuntimeOptions, onnxRuntimeOptions, type OnnxDevice, type OnnxRuntimeOptions, type ProviderName } from "./device.js";
export { decodeModel } from "./proto.js";
export { OrtUnavailableError, SUPPORTED_ORT_VERSION } from "./ort-sync.js";

/** What @mmx/onnx exports on every platform; ./index.ts (Node) and ./index.browser.ts add each one's runtime options. */
export { exportOnnx, type ExportedOnnx, type OnnxTensorSpec } from "./export.js";
export { createOnnxExecutor, OnnxProgram } from "./executor.js";
export { lowerToOnnx, OnnxLoweringError, OPSET, IR_VERSION, type LoweredModel, type LowerOptions } from "./lower-jaxpr.js";
export { DEFAULT_LOWERING_OPTIONS, type LoweringOptions } from "./lowerings.js";
export type { FilterGradStrategy, InputGradStrategy } from "./lower-conv.js";
export { decodeModel } from "./proto.js";
export { OrtUnavailableError, type OnnxRuntimeBinding, type OnnxSession, type HostTensor, type OrtDType } from "./runtime.js";

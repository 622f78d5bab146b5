/**
 * What `@mmx/onnx/proto` exports: ONNX models as plain objects (the messages of onnx.proto, field names as there)
 * and their encoding, the one the lowering writes with. For tools that write their own small models, such as a
 * benchmark of one Gemm node. Importing it registers no backend and loads neither @mmx/core's runtime nor
 * onnxruntime: only the encoder (protobufjs).
 */
export { encodeModel, decodeModel, AttributeType, DataType, type DataTypeCode } from "./proto.js";
export type { ModelMessage, GraphMessage, NodeMessage, AttributeMessage, ValueInfoMessage, TensorMessage } from "./proto.js";
export { valueInfo } from "./graph-builder.js";

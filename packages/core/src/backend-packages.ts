/**
 * Backends that mmx's own packages provide, by the package that registers each when imported. Core never
 * loads them: this table only lets `setBackend("onnx")` without the import say which import it needs.
 */
export const BACKEND_PACKAGES: Readonly<Record<string, string>> = { onnx: "@mmx/onnx" };

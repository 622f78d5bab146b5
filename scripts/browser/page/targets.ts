import type { BackendName } from "@mmx/core";

/** The backends a browser may have, as the suite and the benchmark name them: tfjs's three, onnxruntime-web's two. */
export interface Target {
  readonly label: string;
  readonly backend: BackendName;
  /** For onnx: onnxruntime-web's execution provider. */
  readonly provider?: "wasm" | "webgpu";
}

export const TARGETS: readonly Target[] = [
  { label: "wasm", backend: "wasm" },
  { label: "webgl", backend: "webgl" },
  { label: "webgpu", backend: "webgpu" },
  { label: "onnx-wasm", backend: "onnx", provider: "wasm" },
  { label: "onnx-webgpu", backend: "onnx", provider: "webgpu" },
];

import { planBackends } from "@mmx/core";

/**
 * Whether this package's backend suites run: always under `npm test` (MMX_BACKENDS unset), and in the
 * cross-backend matrix (scripts/test-backends.mjs, which sets MMX_PLAN_FILE) when MMX_BACKENDS lists
 * onnx, whose default list (cpu, wasm) does not. Requested but unable to run here, it throws.
 */
export async function onnxUnderTest(): Promise<boolean> {
  const requested = process.env["MMX_BACKENDS"] || (process.env["MMX_PLAN_FILE"] ? "" : "onnx");
  return (await planBackends(requested)).run.includes("onnx");
}

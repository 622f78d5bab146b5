import { defineConfig } from "vitest/config";
import base from "../vitest.config.js";

/**
 * The cross-backend matrix (`npm run test:backends`, see scripts/test-backends.mjs): the suites parameterised by
 * MMX_BACKENDS, with the backend plan computed once up front (printed, and a requested backend that cannot run
 * here fails the run before any test starts).
 */
export const MATRIX_FILES = [
  "packages/core/src/primitives.test.ts",
  "packages/core/src/backends/*.test.ts",
  "packages/mixup/src/invariants.test.ts",
  // NaN and ±Inf propagate alike on every backend, eager and jitted (onnx's twin runs in the default suite).
  "packages/nn/src/non-finite.test.ts",
  // jvp and vmap against their references over random programs, on every backend.
  "packages/core/src/jvp.test.ts",
  "packages/core/src/vmap.test.ts",
  // lax.scan against the unrolled loop (values, grad, jvp, vmap, jit), eager backends here and jitted on onnx.
  "packages/core/src/scan.test.ts",
  "packages/core/src/custom-vjp.test.ts",
  "packages/onnx/src/scan.test.ts",
  // onnx runs jitted programs only: its own suites (every primitive and VJP, the invariants, jitted) stand in for
  // the eager ones above, which list it as skipped.
  "packages/onnx/src/primitives.test.ts",
  "packages/onnx/src/mixup.test.ts",
  // The README's trainStep loop with no dispose: 10,000 steps here (1,000 in the default suite) on cpu, wasm and onnx.
  "packages/mixup/src/ownership.test.ts",
  "packages/onnx/src/ownership.test.ts",
];

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: MATRIX_FILES,
    globalSetup: ["scripts/backends-plan.setup.ts"],
  },
});

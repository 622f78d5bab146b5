import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setBackend } from "@mmx/core";
import { checkScanAgainstLoop, SCAN_CASES, SCAN_CNN_CASE, SCAN_OPTION_CASES, scanProgram } from "../../mixup/src/testing-only/scan-vs-loop.js";
import { lowerToOnnx } from "./index.js";

/**
 * `step.scan` on onnx: T training steps are one ONNX Loop, one onnxruntime run, and they equal T `step` calls on
 * onnx (the check mixup's suite runs on cpu and wasm).
 */

beforeAll(async () => {
  await setBackend("onnx");
});
afterAll(async () => {
  await setBackend("cpu");
});

describe("onnx: step.scan", () => {
  // Not the narrow PreActResNet of mixup's suite: its training is unstable at rounding level (on cpu, initial params
  // perturbed by 1e-7 relative move a near-zero batch-norm parameter 2.6% of its leaf's scale in three steps), so
  // two programs that round differently (the Loop body's kernels and the lone step's) part by more than 1e-4. On cpu,
  // where both forms run the same kernels, mixup's suite finds them equal.
  for (const c of [...SCAN_CASES, ...SCAN_OPTION_CASES, SCAN_CNN_CASE]) {
    it(`equals the loop of steps: ${c.name}`, () => checkScanAgainstLoop(c));
  }

  it("runs the steps as one Loop node, whatever layer each step draws", () => {
    const graph = lowerToOnnx(scanProgram(SCAN_CASES[0]!)).model.graph;
    expect(graph.node.filter((n) => n.op_type === "Loop")).toHaveLength(1);
    // Around the Loop only the stacking of the results: the steps themselves are in its body.
    expect(graph.node.filter((n) => n.op_type === "Gemm" || n.op_type === "MatMul")).toHaveLength(0);
  });
});

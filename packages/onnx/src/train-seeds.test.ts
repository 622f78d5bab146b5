import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setBackend } from "@mmx/core";
import { checkSeedsAgainstLoneRuns, SEEDS, SEEDS_CASES, SEEDS_OPTION_CASES, seedsProgram, SMALL_CNN_CASE } from "../../mixup/src/testing-only/seeds-vs-lone.js";
import { lowerToOnnx } from "./index.js";

/**
 * trainSeeds on onnx: the seeds' vmapped step is one onnxruntime session run, and it equals the seeds'
 * lone trainStep runs on onnx (the check mixup's suite runs on cpu and wasm).
 */

beforeAll(async () => {
  await setBackend("onnx");
});
afterAll(async () => {
  await setBackend("cpu");
});

describe("onnx: trainSeeds", () => {
  for (const c of [...SEEDS_CASES, ...SEEDS_OPTION_CASES, SMALL_CNN_CASE]) {
    it(`equals ${SEEDS} lone trainStep runs: ${c.name}`, () => checkSeedsAgainstLoneRuns(c));
  }

  it(`nn.smallCnn's ${SEEDS} seeds run each convolution as one Conv node with group ${SEEDS}`, () => {
    const nodes = lowerToOnnx(seedsProgram(SMALL_CNN_CASE)).model.graph.node.filter((n) => n.op_type === "Conv" || n.op_type === "ConvTranspose");
    // The two layers' forward convs and block2's input gradient (a Conv with the flipped filter at stride 1); the
    // filter gradients are MatMuls batched over the seeds.
    expect(nodes.map((n) => n.op_type)).toEqual(["Conv", "Conv", "Conv"]);
    expect(nodes.map((n) => n.attribute.find((a) => a.name === "group")?.i)).toEqual(nodes.map(() => SEEDS));
  });
});

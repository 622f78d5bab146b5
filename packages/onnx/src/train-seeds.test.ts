import { afterAll, beforeAll, describe, it } from "vitest";
import { setBackend } from "@mmx/core";
import { checkSeedsAgainstLoneRuns, SEEDS, SEEDS_CASES } from "../../mixup/src/testing-only/seeds-vs-lone.js";
import "./index.js";

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
  for (const c of SEEDS_CASES) {
    it(`equals ${SEEDS} lone trainStep runs: ${c.name}`, () => checkSeedsAgainstLoneRuns(c));
  }
});

import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { dispose, setBackend } from "@mmx/core";
import type { TrainConfig } from "./config.js";
import { readMetrics } from "./run-files.js";
import { spiralsConfig, tempDir } from "./test-helpers.js";
import { train } from "./train.js";

beforeAll(async () => {
  await setBackend("wasm");
});

const CONFIG: TrainConfig = spiralsConfig({ spiralsTrain: 128, loss: "ce", epochs: 5, seed: 1 });

describe("train's evalEvery", () => {
  it("evaluates every N epochs and after the last, records NaN test metrics between, and trains the same", async () => {
    const every = await train(CONFIG, { out: join(tempDir(), "every") });
    const sparseDir = join(tempDir(), "sparse");
    const sparse = await train(CONFIG, { out: sparseDir, evalEvery: 2 });
    dispose([every.params, every.modelState, sparse.params, sparse.modelState]);
    expect(sparse.metrics.map((m) => m.epoch)).toEqual([1, 2, 3, 4, 5]);
    expect(sparse.metrics.map((m) => Number.isNaN(m.testError))).toEqual([true, false, true, false, false]);
    // The evaluated epochs and every training loss are those of a run evaluated every epoch.
    for (const e of [1, 3, 4]) expect(sparse.metrics[e]!.testError).toBe(every.metrics[e]!.testError);
    expect(sparse.metrics[4]!.testNll).toBe(every.metrics[4]!.testNll);
    expect(sparse.metrics.map((m) => m.trainLoss)).toEqual(every.metrics.map((m) => m.trainLoss));
    // metrics.json stores the skipped evaluations as null and still reads back as a run's metrics.
    expect(readMetrics(sparseDir).map((m) => m.testNll === null)).toEqual([true, false, true, false, false]);
  });
});

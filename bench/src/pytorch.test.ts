import { describe, expect, it } from "vitest";
import { MODES } from "./mmx-step.js";
import { startTorchPeer, torchReport } from "./pytorch.js";

describe("the real PyTorch peer (bench/torch_stepper.py)", () => {
  it("builds the mlp workload's three modes and takes a step of each, timed on its side, in the bench's environment", async (ctx) => {
    const start = await startTorchPeer("mlp", { coreType: "auto", threads: 1 });
    if ("skipped" in start) return ctx.skip(`PyTorch cannot run here: ${start.skipped}`);
    const { stepper, ready } = start;
    try {
      expect(ready).toMatchObject({ workload: "mlp", batch: 128, threads: 1 });
      expect(ready.env).toMatchObject({ OMP_WAIT_POLICY: "PASSIVE", OPENBLAS_NUM_THREADS: "1" });
      expect(ready.sgemm_gflops).toBeGreaterThan(0);
      for (const mode of MODES) {
        const step = await stepper.step(mode);
        expect(step.mode).toBe(mode);
        expect(step.ms).toBeGreaterThan(0);
        expect(step.cpu_ms).toBeGreaterThan(0);
        expect(step.idle_cpu_ms).toBeGreaterThanOrEqual(0);
      }
    } finally {
      expect((await stepper.close()).peakRssMb).toBeGreaterThan(0);
    }
  });
});

describe("the run's PyTorch report", () => {
  const ready = { torch_version: "1.13", threads: 2, interop_threads: 1, blas: "openblas", blas_threads: 2, blas_core: "Zen", env: {}, sgemm_gflops: 150, batch: 128 };
  it("describes the first peer that started, with the largest peak RSS of all", () => {
    const r = torchReport([{ ready: { ...ready, workload: "mlp" }, peakRssMb: 270 }, { ready: { ...ready, workload: "cnn", sgemm_gflops: 120 }, peakRssMb: 400 }]);
    expect(r).toEqual({ torch_version: "1.13", threads: 2, interop_threads: 1, blas: "openblas", blas_threads: 2, blas_core: "Zen", env: {}, sgemm_gflops: 150, peak_rss_mb: 400 });
  });
  it("says why when no peer started", () => {
    expect(torchReport([{ skipped: "import torch failed: ModuleNotFoundError" }])).toEqual({ skipped: "import torch failed: ModuleNotFoundError" });
    expect(torchReport([])).toEqual({ skipped: "no workload ran" });
  });
});

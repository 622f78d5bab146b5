import { describe, expect, it } from "vitest";
import { MODES } from "./mmx-step.js";
import { startTorchPeer } from "./pytorch.js";

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

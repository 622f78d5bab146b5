import { describe, expect, it } from "vitest";
import { renderReport, type Report } from "./report.js";
import type { WorkloadResult } from "./run-workload.js";
import type { TorchReady } from "./torch-stepper.js";

const ready: TorchReady = { torch_version: "1.13", threads: 2, interop_threads: 1, blas: "libopenblas.so", blas_threads: 2, blas_core: "Zen", env: { OMP_WAIT_POLICY: "PASSIVE" }, sgemm_gflops: 150, workload: "mlp", batch: 128 };
const timing = (medianMs: number) => ({ timing: { medianMs, minMs: medianMs * 0.9, maxMs: medianMs * 1.5, steps: 10 } });

const mlp: WorkloadResult = {
  workload: "mlp",
  title: "mlp 784-512-512-10, b128",
  backend: "onnx",
  batch: 128,
  steps: 10,
  warmup: 3,
  denseFlops: 0.41e9,
  flopsByPrimitive: {},
  cells: { "mmx plain": timing(9), "mmx input": timing(9.1), "mmx manifold": timing(9.2), "PyTorch plain": timing(10), "PyTorch input": timing(10.5), "PyTorch manifold": timing(10.4) },
  pairedRatios: { "mmx plain / PyTorch plain": 0.93, "mmx manifold / PyTorch manifold": 0.88, "PyTorch manifold / PyTorch plain": 1.02 },
  pairedRanges: { "mmx plain / PyTorch plain": { min: 0.71, max: 1.2 }, "mmx manifold / PyTorch manifold": { min: 0.8, max: 1.1 }, "PyTorch manifold / PyTorch plain": { min: 0.9, max: 1.1 } },
  torch: { ready, peakRssMb: 270, idleCpuMs: 0.04, idleCores: 0.002, hostCpuMs: 0.31, hostCores: 0.03 },
  programs: {},
  tensors: { before: 66, after: 66, steps: 10 },
  peakRssMb: 300,
  load: { before: "1", after: "1" },
};

const report: Report = {
  date: "2026-12-06",
  machine: { cpu: "AMD EPYC", vendor: "AuthenticAMD", simd: ["avx2"], cores: 2, memoryGiB: 24, node: "v20" },
  backends: ["onnx"],
  matmulPeakGflops: { onnx: 100 },
  notes: [],
  results: [mlp],
  torch: { ...(({ workload: _w, batch: _b, ...p }) => p)(ready), peak_rss_mb: 270 },
  onnxTuning: {},
  peakRssMb: 300,
  wallSeconds: 20,
};

describe("the bench's report", () => {
  it("reads PyTorch's steps from the workload's rounds: its cells, per-round ratios with their range, its idle CPU", () => {
    const md = renderReport(report);
    const rows = md.split("\n").filter((l) => l.startsWith("| mlp 784-512-512-10, b128 | onnx |"));
    expect(rows[0]).toContain("| 10.0 (9.00–15.0) | 10.5 (9.45–15.8) | 10.4 (9.36–15.6) |");
    expect(rows[1]).toContain("| 0.90 (0.93, 0.71–1.20) | 0.88 (0.88, 0.80–1.10) | 1.04 (1.02) |");
    expect(rows[2]).toContain("| 45.6 (?% / 30%) |"); // PyTorch plain's GFLOP/s
    expect(md).toContain("mlp on onnx 0.04 ms (0.002 cores)");
    expect(md).toMatch(/This process's CPU time while a PyTorch step ran .*: mlp on onnx 0\.31 ms \(0\.030 cores\)\./);
    expect(md).toContain("mmx onnx/PyTorch plain 0.90 (per round: median 0.93, 0.71–1.20) (<= 1.0: met)");
    expect(md).toContain("PyTorch's 270 MiB");
  });

  it("leaves PyTorch's cells empty when it did not run, and says nothing of its idle CPU", () => {
    const without: WorkloadResult = { ...mlp, cells: { "mmx plain": timing(9) }, pairedRatios: {}, pairedRanges: {} };
    delete without.torch;
    const md = renderReport({ ...report, results: [without], torch: { skipped: "import torch failed: ModuleNotFoundError" } });
    expect(md.split("\n").find((l) => l.startsWith("| mlp"))).toMatch(/\| – \| – \| – \|$/);
    expect(md).not.toContain("PyTorch sgemm");
    expect(md).not.toContain("between two of its steps");
    expect(md).not.toContain("while a PyTorch step ran");
  });
});

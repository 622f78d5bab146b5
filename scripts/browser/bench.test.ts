import { execFile, spawn } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
// @ts-expect-error: plain ESM helpers of this directory, without type declarations
import { descendantsCpuMs, findChromium, root } from "./harness.mjs";

/**
 * The browser benchmarks' tools, at toy sizes: --interleave's CPU accounting, its report, and bench:web-gemm's. They
 * check that the tools measure and print, not how fast anything is.
 */
const run = promisify(execFile);
const script = (name: string) => join(root as string, "scripts/browser", name);

describe("descendantsCpuMs", () => {
  it("counts the CPU time of a child process that burns some", async () => {
    // The child spins until it has used 150 ms of CPU, says so, and waits to be killed (a dead child is no descendant).
    const child = spawn(process.execPath, ["-e", "while (process.cpuUsage().user < 150000); console.log('done'); setInterval(() => {}, 1000);"], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
      const ms = descendantsCpuMs() as number | undefined;
      if (ms === undefined) {
        console.log("descendantsCpuMs: /proc is not readable here; skipped");
        return;
      }
      expect(ms).toBeGreaterThanOrEqual(140);
    } finally {
      child.kill();
    }
  });
});

const chromium = findChromium() as { path?: string; reason?: string };
if (!chromium.path) console.log(`browser benchmark tools skipped: ${chromium.reason}`);

describe.skipIf(!chromium.path)("in Chromium", () => {
  it("bench:browser --interleave steps every backend's page in turn and prints times, warm-ups and ratios", async () => {
    const { stdout } = await run(process.execPath, [script("bench.mjs"), "--interleave", "--targets", "wasm,onnx-wasm", "--mlp", "16,8,2", "--mlpBatch", "4", "--cnnBatch", "0", "--warmup", "1", "--steps", "3"], { cwd: root as string, maxBuffer: 1 << 24 });
    console.log(stdout);
    for (const target of ["wasm", "onnx-wasm 1 thread", "onnx-wasm threaded"]) {
      expect(stdout).toMatch(new RegExp(`MLP 16-8-2 b4: ${target} +wall +[\\d.]+ +[\\d.]+ +cpu +[\\d.]+`));
      expect(stdout).toMatch(new RegExp(`MLP 16-8-2 b4: ${target}: warm-up steps, ms: \\d+`));
    }
    expect(stdout).toMatch(/chromium onnx-wasm 1 thread \/ chromium wasm, median of per-round ratios: wall \d+\.\d{3} \(target <= 1\.0: (met|missed)\), cpu \d+\.\d{3}/);
  });

  it("bench:web-gemm prints a rate for every GEMM form on each runtime", async () => {
    const { stdout } = await run(process.execPath, [script("web-gemm.mjs"), "--reps", "1", "--warmup", "0", "--builds", "plain"], { cwd: root as string, maxBuffer: 1 << 24 });
    console.log(stdout);
    const rows = stdout.split("\n").filter((l) => / ms$/.test(l));
    // 9 forms on onnxruntime-web, 7 of them on tfjs wasm too (it has no MatMul/Gemm distinction).
    expect(rows.filter((l) => l.includes("onnxruntime-web plain"))).toHaveLength(9);
    expect(rows.filter((l) => l.includes("tfjs wasm"))).toHaveLength(7);
    for (const l of rows) expect(Number(l.trim().split(/\s+/).at(-4))).toBeGreaterThan(0);
    expect(stdout).toMatch(/onnxruntime-web plain: [\d.]+, [\d.]+, [\d.]+, [\d.]+, [\d.]+/);
  });
});

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Timing } from "./timing.js";
import { torchEnv, type TorchConfig } from "./torch-peer.js";

/** What bench/pytorch_bench.py reports (see its docstring), or why it did not run. */
export interface TorchReport {
  skipped?: string;
  torch_version?: string;
  threads?: number;
  interop_threads?: number;
  blas?: string;
  blas_threads?: number | null;
  blas_core?: string | null;
  env?: Record<string, string>;
  sgemm_gflops?: number;
  peak_rss_mb?: number;
  workloads?: Record<string, Record<"plain" | "input" | "manifold", { median_ms: number; min_ms: number; max_ms: number; steps: number; warmup: number }> & { paired?: Record<string, number> }>;
  wallMs?: number;
}

const PYTHON = "/usr/bin/python3";
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), "..", "pytorch_bench.py");

/**
 * Runs the PyTorch peer in a child process of this same run, in the configuration `findBestTorch` chose
 * (OpenBLAS's kernels and threads), or with the environment as it is when `config` is null
 * (`--torch-keep-env`).
 */
export function runPytorch(workloads: readonly string[], opts: { config: TorchConfig | null; steps?: number; warmup?: number }): TorchReport {
  if (!existsSync(PYTHON)) return { skipped: `${PYTHON} not found` };
  const env = opts.config ? torchEnv(opts.config) : process.env;
  const args = [SCRIPT, "--workload", workloads.join(",")];
  if (opts.config) args.push("--threads", String(opts.config.threads));
  if (opts.steps !== undefined) args.push("--steps", String(opts.steps));
  if (opts.warmup !== undefined) args.push("--warmup", String(opts.warmup));
  const t0 = performance.now();
  const r = spawnSync(PYTHON, args, { env, encoding: "utf8", maxBuffer: 1 << 24, timeout: 15 * 60_000 });
  const wallMs = performance.now() - t0;
  if (r.error) return { skipped: `${PYTHON} ${SCRIPT} failed to start: ${r.error.message}` };
  if (r.status !== 0) return { skipped: `pytorch_bench.py exited with ${r.status ?? r.signal}: ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" / ")}` };
  try {
    const report = JSON.parse(r.stdout) as TorchReport;
    return report.skipped ? report : { ...report, wallMs };
  } catch {
    return { skipped: `pytorch_bench.py printed no JSON: ${r.stdout.slice(0, 200)}` };
  }
}

export function torchTiming(report: TorchReport, workload: string, mode: "plain" | "input" | "manifold"): Timing | undefined {
  const t = report.workloads?.[workload]?.[mode];
  return t ? { medianMs: t.median_ms, minMs: t.min_ms, maxMs: t.max_ms, steps: t.steps } : undefined;
}

/** The median per-round ratio of a mode's step to the plain step's (PyTorch interleaves its modes too). */
export function torchPaired(report: TorchReport, workload: string, mode: "input" | "manifold"): number | undefined {
  return report.workloads?.[workload]?.paired?.[`${mode}/plain`];
}

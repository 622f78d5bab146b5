import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { WorkloadName } from "./workloads.js";

/** One PyTorch timing of a workload (bench/pytorch_bench.py): per mode, the median step in ms. */
export interface TorchTiming {
  readonly threads: number;
  /** PyTorch's 1024³ float32 matmul, GFLOP/s (measured by pytorch_bench.py in the same process). */
  readonly sgemmGflops: number;
  readonly plain: number;
  readonly manifold: number;
}

export type TorchResult = { ok: true; timing: TorchTiming; version: string } | { ok: false; reason: string };

/**
 * Runs the repository's PyTorch peer (same models, loss, optimizer and batch as the mmx workloads)
 * once, with the given thread count (undefined: torch's default), and reads its JSON. As the main
 * bench does, OPENBLAS_CORETYPE is removed from its environment unless `keepEnv`: set to Haswell in
 * some environments, it pins OpenBLAS to AVX2 kernels, which would slow the peer down on an AVX-512 CPU.
 */
export function runTorch(repoRoot: string, workload: WorkloadName, opts: { threads?: number; steps: number; warmup: number; python: string; keepEnv: boolean }): TorchResult {
  const script = join(repoRoot, "bench", "pytorch_bench.py");
  if (!existsSync(script)) return { ok: false, reason: `${script} not found` };
  const args = [script, "--workload", workload, "--steps", String(opts.steps), "--warmup", String(opts.warmup), ...(opts.threads ? ["--threads", String(opts.threads)] : [])];
  const env = { ...process.env };
  if (!opts.keepEnv) delete env.OPENBLAS_CORETYPE;
  const r = spawnSync(opts.python, args, { env, encoding: "utf8", maxBuffer: 1 << 24 });
  if (r.error) return { ok: false, reason: `${opts.python}: ${r.error.message}` };
  if (r.status !== 0) return { ok: false, reason: `pytorch_bench.py exited ${r.status}: ${r.stderr.trim().split("\n").slice(-1)[0] ?? ""}` };
  let out: { skipped?: string; threads: number; torch_version: string; sgemm_gflops: number; workloads: Record<string, Record<string, { median_ms: number }>> };
  try {
    out = JSON.parse(r.stdout);
  } catch {
    return { ok: false, reason: `pytorch_bench.py printed no JSON: ${r.stdout.slice(0, 200)}` };
  }
  if (out.skipped) return { ok: false, reason: out.skipped };
  const w = out.workloads[workload]!;
  return { ok: true, version: out.torch_version, timing: { threads: out.threads, sgemmGflops: out.sgemm_gflops, plain: w.plain!.median_ms, manifold: w.manifold!.median_ms } };
}

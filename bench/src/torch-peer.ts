import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { cpus } from "node:os";
import { openblasCoreTypes, type CpuInfo } from "./cpu-info.js";

/** One configuration of PyTorch's BLAS: OpenBLAS's kernel family ("auto": its own choice) and the thread count. */
export interface TorchConfig {
  coreType: string;
  threads: number;
}

/** What a probe of one configuration found (bench/torch_probe.py), or why it failed (a crash is a rejection). */
export interface TorchProbe extends TorchConfig {
  /** OpenBLAS's name for the kernels it actually ran. */
  core?: string | null;
  sgemmGflops?: number;
  correct?: boolean;
  maxRelErr?: number;
  failed?: string;
}

export interface TorchPeerChoice {
  chosen: TorchConfig | null;
  probes: TorchProbe[];
  /** Why nothing was chosen (no python/torch, every probe failed). */
  skipped?: string;
}

const PYTHON = "/usr/bin/python3";
const PROBE = join(dirname(fileURLToPath(import.meta.url)), "..", "torch_probe.py");

/**
 * The environment a configuration runs in: OpenBLAS and OpenMP read these when they load. OpenMP's
 * workers wait passively: by default they spin after each parallel region, taking the CPU from the
 * implementation the bench steps next, and stalling PyTorch's own steps on a machine with no idle core.
 */
export function torchEnv(config: TorchConfig, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, OPENBLAS_NUM_THREADS: String(config.threads), OMP_NUM_THREADS: String(config.threads), OMP_WAIT_POLICY: "PASSIVE" };
  if (config.coreType === "auto") delete env.OPENBLAS_CORETYPE;
  else env.OPENBLAS_CORETYPE = config.coreType;
  return env;
}

function probe(config: TorchConfig): TorchProbe {
  const r = spawnSync(PYTHON, [PROBE, "--threads", String(config.threads)], { env: torchEnv(config), encoding: "utf8", timeout: 120_000 });
  if (r.error) return { ...config, failed: r.error.message };
  if (r.signal) return { ...config, failed: `killed by ${r.signal} (the CPU lacks this kernel family's instructions)` };
  if (r.status !== 0) return { ...config, failed: `exit ${r.status}: ${(r.stderr || r.stdout).trim().split("\n").at(-1)}` };
  try {
    const j = JSON.parse(r.stdout) as { skipped?: string; core: string | null; sgemm_gflops: number; correct: boolean; max_rel_err: number };
    if (j.skipped) return { ...config, failed: j.skipped };
    return { ...config, core: j.core, sgemmGflops: j.sgemm_gflops, correct: j.correct, maxRelErr: j.max_rel_err };
  } catch {
    return { ...config, failed: `printed no JSON: ${r.stdout.slice(0, 120)}` };
  }
}

/**
 * PyTorch at its best on this machine: every OpenBLAS kernel family the CPU can run (and OpenBLAS's own
 * choice) at 1 and 2 threads (up to the core count), each probed in a fresh process in `rounds`
 * interleaved passes (a shared machine's load falls on all alike; each keeps its best pass). A
 * configuration whose products are wrong is rejected however fast; the fastest correct one is chosen.
 */
export function findBestTorch(cpu: CpuInfo, opts: { rounds?: number; log?: (line: string) => void } = {}): TorchPeerChoice {
  if (!existsSync(PYTHON)) return { chosen: null, probes: [], skipped: `${PYTHON} not found` };
  const threads = [...new Set([1, Math.min(2, cpus().length)])];
  const configs: TorchConfig[] = ["auto", ...openblasCoreTypes(cpu)].flatMap((coreType) => threads.map((t) => ({ coreType, threads: t })));
  const best = new Map<TorchConfig, TorchProbe>();
  for (let round = 0; round < (opts.rounds ?? 2); round++) {
    const order = round % 2 ? [...configs].reverse() : configs;
    for (const config of order) {
      const p = probe(config);
      if (p.failed?.startsWith("import torch failed")) return { chosen: null, probes: [p], skipped: p.failed };
      const prev = best.get(config);
      if (!prev || prev.failed || (!p.failed && p.sgemmGflops! > prev.sgemmGflops!)) best.set(config, p);
      opts.log?.(`  PyTorch probe ${config.coreType}/${config.threads}t: ${p.failed ?? `${p.core} ${p.sgemmGflops!.toFixed(1)} GFLOP/s${p.correct ? "" : `, WRONG products (rel. error ${p.maxRelErr!.toExponential(1)})`}`}`);
    }
  }
  return chooseTorchConfig(configs.map((c) => best.get(c)!));
}

/** The fastest probe whose products were right; a wrong or crashed configuration never wins. */
export function chooseTorchConfig(probes: TorchProbe[]): TorchPeerChoice {
  const fastest = probes.filter((p) => !p.failed && p.correct).sort((a, b) => b.sgemmGflops! - a.sgemmGflops!)[0];
  if (!fastest) return { chosen: null, probes, skipped: "no configuration of PyTorch computed correct products" };
  return { chosen: { coreType: fastest.coreType, threads: fastest.threads }, probes };
}

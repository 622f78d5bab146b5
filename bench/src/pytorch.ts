import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Mode } from "./mmx-step.js";
import type { Steppable } from "./rounds.js";
import { torchEnv, type TorchConfig } from "./torch-peer.js";
import { TorchPeerHung, TorchStepper, type TorchReady } from "./torch-stepper.js";

/**
 * The PyTorch peer in results.json: its process as the first workload's peer described itself (version,
 * threads, BLAS, environment, 1024³ sgemm) and the largest peak RSS of the workloads' peers, or why it
 * did not run. Its step times are cells of each workload's rounds ("PyTorch plain", ...).
 */
export type TorchReport = { skipped: string } | (Omit<TorchReady, "workload" | "batch"> & { skipped?: undefined; peak_rss_mb?: number });

const PYTHON = "/usr/bin/python3";
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), "..", "torch_stepper.py");

export type TorchStart = { stepper: TorchStepper; ready: TorchReady } | { skipped: string };

/**
 * The PyTorch peer's process in one workload's rounds, or why it did not run. `idleCpuMs` is the
 * median CPU time it took between two of its steps, while the other implementations ran, and
 * `idleCores` its total over the total of those gaps' wall time: spinning BLAS or OpenMP workers show
 * up there as CPU taken from the implementation stepped next. `hostCpuMs` and `hostCores` are the same
 * the other way round: the bench's own CPU time while a PyTorch step ran (its pipe and JSON work, and
 * onnxruntime's or V8's threads still busy after mmx's step), median per step and over PyTorch's wall time.
 */
export type TorchPeerRun = { skipped: string } | { ready: TorchReady; peakRssMb?: number; idleCpuMs?: number; idleCores?: number; hostCpuMs?: number; hostCores?: number };

/** The run's PyTorch report from its workloads' peers: the first that started describes the process, with the largest peak RSS of all. */
export function torchReport(runs: readonly TorchPeerRun[]): TorchReport {
  const started = runs.flatMap((r) => ("ready" in r ? [r] : []));
  if (!started.length) return { skipped: runs.find((r) => "skipped" in r)?.skipped ?? "no workload ran" };
  const { workload: _workload, batch: _batch, ...process } = started[0]!.ready;
  const rss = Math.max(0, ...started.map((r) => r.peakRssMb ?? 0));
  return { ...process, ...(rss > 0 ? { peak_rss_mb: rss } : {}) };
}

/**
 * Starts the PyTorch peer of one workload (bench/torch_stepper.py) in the configuration `findBestTorch`
 * chose (OpenBLAS's kernels and threads, OpenMP's passive waiting), or in the environment as it is when
 * `config` is null (`--torch-keep-env`); it then takes one step per command, in the bench's rounds.
 */
export async function startTorchPeer(workload: string, config: TorchConfig | null): Promise<TorchStart> {
  if (!existsSync(PYTHON)) return { skipped: `${PYTHON} not found` };
  const args = [SCRIPT, "--workload", workload, ...(config ? ["--threads", String(config.threads)] : [])];
  return TorchStepper.start(PYTHON, args, config ? torchEnv(config) : process.env, { workload });
}

/** One mode of the peer as an implementation of the rounds, timed on the peer's side of the pipe. */
export function torchMode(stepper: TorchStepper, mode: Mode): Steppable {
  return {
    async timedRun() {
      const t = await stepper.step(mode);
      return { ms: t.ms, cpuMs: t.cpu_ms, idleMs: t.idle_ms, idleCpuMs: t.idle_cpu_ms };
    },
  };
}

/**
 * What a failed step takes out of a workload's rounds: a hung peer was killed, so every one of its
 * modes goes, with one line that says which workload and what the bench waited for; any other failure
 * takes out the implementation that failed (a dead peer's other modes fail on their own next step).
 */
export function failedImpls<N extends string>(name: N, e: unknown, workload: { name: string; modes: readonly Mode[] }): { names: (N | `PyTorch ${Mode}`)[]; line?: string } {
  if (!(e instanceof TorchPeerHung)) return { names: [name] };
  return { names: workload.modes.map((m) => `PyTorch ${m}` as const), line: `${e.message}; ${workload.name} goes on without PyTorch` };
}

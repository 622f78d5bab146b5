import "@tensorflow/tfjs"; // registers tfjs's gradients, optimizers and layers, which the tfjs peers need
import { availableBackends, setBackend } from "@mmx/core";
import "@mmx/onnx"; // registers the onnx backend (ONNX Runtime), measured when it can run here
import { writeFileSync } from "node:fs";
import { totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setOnnxRuntimeOptions } from "@mmx/onnx";
import { cpuInfo } from "./cpu-info.js";
import { describeOnnxConfig, tuneOnnx, type OnnxTuning } from "./onnx-peer.js";
import { startTorchPeer, torchReport, type TorchPeerRun, type TorchReport } from "./pytorch.js";
import { findBestTorch, type TorchPeerChoice } from "./torch-peer.js";
import { renderReport } from "./report.js";
import { runWorkload, type WorkloadResult } from "./run-workload.js";
import { runTransforms, type TransformRow } from "./transforms.js";
import { firstLine, load, matmulPeak, peakRssMb } from "./timing.js";
import { WORKLOAD_NAMES, WORKLOADS, type WorkloadName } from "./workloads.js";

/**
 * `npm run bench [-- --workload mlp,cnn --backend wasm,cpu --steps 30 ...]`: every workload on every
 * backend, mmx beside hand-written tfjs, tfjs-layers and PyTorch, all in this one run; prints markdown
 * tables and writes bench/results.json. See bench/README.md.
 */
const BACKENDS = ["wasm", "cpu", "webgpu", "onnx"] as const;

const USAGE = `options:
  --workload ${WORKLOAD_NAMES.join(",")}   (default: all)
  --backend wasm,cpu,webgpu,onnx    (default: wasm, cpu, onnx when onnxruntime loads, webgpu when a hardware adapter is found)
  --steps N --warmup N              timed and warm-up steps (default per workload: mlp 60/5 (30 on cpu), cnn 30/3, preact18 5/1)
  --leak-steps N                    steps of the tensor-count check (default: mlp 1000, cnn 100, preact18: its timed steps)
  --cpu-all                         also run workloads that take minutes per step on tfjs's JavaScript cpu backend
  --no-torch                        skip PyTorch
  --torch-keep-env                  run PyTorch in the environment as it is (default: the fastest correct OpenBLAS kernels and threads, probed, and OpenMP waiting passively)
  --no-tune                         skip tuning onnxruntime's session options per workload (default: the fastest of 8, probed)
  --no-peers                        skip hand-written tfjs and tfjs-layers
  --no-profile                      skip the per-primitive profile of the mmx steps
  --no-transforms                   skip the vmap and scan rows (3 seeds in one program, per-example gradients, a scanned epoch)
  --transforms-only                 only the vmap and scan rows (default 20 rounds, 5 warm-up; --steps/--warmup set them)`;

interface Options {
  workloads: WorkloadName[];
  backends: string[] | null;
  steps?: number;
  warmup?: number;
  leakSteps?: number;
  cpuAll: boolean;
  torch: boolean;
  torchKeepEnv: boolean;
  tune: boolean;
  peers: boolean;
  profile: boolean;
  transforms: "yes" | "no" | "only";
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { workloads: [...WORKLOAD_NAMES], backends: null, cpuAll: false, torch: true, torchKeepEnv: false, tune: true, peers: true, profile: true, transforms: "yes" };
  const int = (arg: string, v: string | undefined, min: number) => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min) throw new Error(`${arg} needs an integer >= ${min}, got ${v ?? "nothing"}\n${USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--workload") {
      const v = argv[++i] ?? "";
      opts.workloads = v.split(",") as WorkloadName[];
      for (const w of opts.workloads) if (!WORKLOAD_NAMES.includes(w)) throw new Error(`unknown workload '${w}'; valid: ${WORKLOAD_NAMES.join(", ")}`);
    } else if (arg === "--backend") {
      opts.backends = (argv[++i] ?? "").split(",");
      for (const b of opts.backends) if (!(BACKENDS as readonly string[]).includes(b)) throw new Error(`unknown backend '${b}'; valid: ${BACKENDS.join(", ")}`);
    } else if (arg === "--steps") opts.steps = int(arg, argv[++i], 1);
    else if (arg === "--warmup") opts.warmup = int(arg, argv[++i], 0);
    else if (arg === "--leak-steps") opts.leakSteps = int(arg, argv[++i], 0);
    else if (arg === "--cpu-all") opts.cpuAll = true;
    else if (arg === "--no-torch") opts.torch = false;
    else if (arg === "--torch-keep-env") opts.torchKeepEnv = true;
    else if (arg === "--no-tune") opts.tune = false;
    else if (arg === "--no-peers") opts.peers = false;
    else if (arg === "--no-profile") opts.profile = false;
    else if (arg === "--no-transforms") opts.transforms = "no";
    else if (arg === "--transforms-only") opts.transforms = "only";
    else throw new Error(`unknown option ${arg}\n${USAGE}`);
  }
  return opts;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  const notes: string[] = [];
  const available = await availableBackends();
  const webgpu = available.find((b) => b.name === "webgpu")!;
  // A software adapter (Mesa's llvmpipe/lavapipe, SwiftShader) runs "GPU" kernels on these same CPU
  // cores: measured, but only when asked for.
  const software = /llvmpipe|lavapipe|swiftshader|software/i.test(webgpu.detail);
  const onnx = available.find((b) => b.name === "onnx")!;
  let backends = opts.backends ?? ["wasm", "cpu", ...(webgpu.available && !software ? ["webgpu"] : []), ...(onnx.available ? ["onnx"] : [])];
  if (!onnx.available) notes.push(`onnx: skipped, not available here (${onnx.detail})`);
  else notes.push(`onnx: ${onnx.detail}; the tfjs peers do not run there (they would run on tfjs's cpu backend)`);
  if (!webgpu.available) {
    notes.push(`webgpu: skipped, not available here (${webgpu.detail})`);
    backends = backends.filter((b) => b !== "webgpu");
  } else if (software && !backends.includes("webgpu")) {
    notes.push(`webgpu: skipped by default, its adapter is a software renderer on the same CPU cores (${webgpu.detail}); --backend webgpu runs it`);
  }
  log(`mmx bench: workloads ${opts.workloads.join(", ")}; backends ${backends.join(", ")}; load ${load()}`);

  const cpu = cpuInfo();
  // PyTorch's best configuration is found first: its peer then steps in every workload's rounds.
  const torchWanted = opts.torch && opts.transforms !== "only";
  let torchPeer: TorchPeerChoice | undefined;
  if (torchWanted && !opts.torchKeepEnv) {
    log(`finding PyTorch's best BLAS configuration (load ${load()})...`);
    torchPeer = findBestTorch(cpu, { log });
  }
  const torchRuns: TorchPeerRun[] = [];
  // Once a peer could not start (no torch here), it is not tried again for every workload.
  const startTorch = () => torchWanted && !torchPeer?.skipped && !torchRuns.some((t) => "skipped" in t);
  const onnxTuning: Record<string, OnnxTuning> = {};
  const results: WorkloadResult[] = [];
  const transforms: TransformRow[] = [];
  const peaks: Record<string, number | string> = {};
  const cpuPeaks: Record<string, number> = {};
  for (const backend of backends) {
    try {
      await setBackend(backend);
    } catch (e) {
      notes.push(`${backend}: skipped, ${firstLine(e)}`);
      continue;
    }
    const n = backend === "cpu" ? 512 : 1024;
    const peak = await matmulPeak(n, backend === "onnx" ? "jit" : "eager");
    peaks[backend] = peak.gflops;
    cpuPeaks[backend] = peak.cpuGflops;
    log(`${backend}: ${n}x${n} matmul peak ${peak.gflops.toFixed(1)} GFLOP/s (by CPU time ${peak.cpuGflops.toFixed(1)})`);
    if (opts.transforms !== "no") transforms.push(...(await runTransforms(backend, { steps: opts.steps ?? 20, warmup: opts.warmup ?? 5, log })));
    for (const name of opts.transforms === "only" ? [] : opts.workloads) {
      const w = WORKLOADS[name];
      if (backend === "cpu" && !w.onCpu && !opts.cpuAll) {
        notes.push(`${name} on cpu: skipped (tfjs's plain-JavaScript cpu backend takes seconds per step of the conv workloads: ~7 s for one cnn step, measured; --cpu-all runs it)`);
        continue;
      }
      log(`${name} on ${backend} (load ${load()})...`);
      const steps = opts.steps ?? (backend === "cpu" ? (w.cpuSteps ?? w.steps) : w.steps);
      const leakSteps = opts.leakSteps ?? (backend === backends[0] ? w.leakSteps : 0);
      if (backend === "onnx" && opts.tune) {
        log(`tuning onnxruntime for ${name} (load ${load()})...`);
        const tuning = await tuneOnnx(w, { rounds: Math.max(3, Math.ceil(w.steps / 3)), log });
        onnxTuning[name] = tuning;
        setOnnxRuntimeOptions(tuning.chosen);
        log(`  chose ${describeOnnxConfig(tuning.chosen)}`);
      }
      results.push(
        await runWorkload(w, backend, {
          steps,
          warmup: opts.warmup ?? w.warmup,
          leakSteps,
          profile: opts.profile && backend === "wasm" && name !== "preact18",
          peers: opts.peers && backend !== "onnx",
          ...(startTorch() ? { torch: () => startTorchPeer(name, torchPeer?.chosen ?? null) } : {}),
          log,
        }),
      );
      const run = results.at(-1)!.torch;
      if (run) torchRuns.push(run);
    }
  }
  const torch: TorchReport = !torchWanted ? { skipped: "--no-torch" } : torchPeer?.skipped ? { skipped: torchPeer.skipped } : torchReport(torchRuns);
  if (torchWanted && torch.skipped) notes.push(`PyTorch: skipped, ${torch.skipped}`);

  const report = {
    date: new Date().toISOString(),
    machine: { cpu: cpu.model, vendor: cpu.vendor, simd: cpu.simd, cores: cpu.cores, memoryGiB: totalmem() / 2 ** 30, node: process.version },
    backends,
    matmulPeakGflops: peaks,
    matmulPeakCpuGflops: cpuPeaks,
    notes,
    results,
    transforms,
    torch,
    torchPeer,
    onnxTuning,
    peakRssMb: peakRssMb(),
    wallSeconds: (performance.now() - t0) / 1000,
  };
  console.log(renderReport(report));
  const out = join(dirname(fileURLToPath(import.meta.url)), "..", "results.json");
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  log(`wrote ${out} (${report.wallSeconds.toFixed(0)} s)`);
}

main().catch((e) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});

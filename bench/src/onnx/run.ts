import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { dispose, jit, np, setBackend, type Array as MxArray } from "@mmx/core";
import { onnxDevice } from "@mmx/onnx";
import { runTorch, type TorchResult } from "./pytorch.js";
import { trainingLoop, WORKLOADS, type Mode, type WorkloadName } from "./workloads.js";
import { oneOf, parseFlags, parsed, someOf, switchOn, text, wholeNumber } from "../tool-flags.js";
import { WORKLOAD_NAMES } from "../workloads.js";

/**
 * `npm run bench:onnx [-- --workload mlp,cnn,preact18 --rounds 3 --wasm 1]` (or `npm run bench -w @mmx/onnx`): one SGD step of
 * each workload on onnx (plain and Manifold Mixup), on wasm (plain), and in PyTorch (its default
 * threads and as many threads as onnxruntime uses), in rounds that alternate between them, so that
 * load from other processes on a shared machine falls on all alike. Ratios are taken within each
 * round, and the median over rounds is reported. Writes bench/dist/onnx/results.json.
 */
const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "..", "..", "..");

const FLAGS = {
  workload: someOf(WORKLOAD_NAMES),
  rounds: wholeNumber(1),
  wasm: parsed("0|1", (v, flag) => oneOf(["0", "1"]).read(v, flag) === "1"),
  // "default": PyTorch's own thread count.
  torchThreads: parsed("default,2", (v, flag) => v.split(",").map((t) => (t === "default" ? undefined : wholeNumber(1).read(t, flag)))),
  python: text("PATH"),
  torchKeepEnv: switchOn,
};

const parseArgs = (argv: readonly string[]) =>
  parseFlags(argv, { workload: WORKLOAD_NAMES, rounds: 3, wasm: true, torchThreads: [undefined, 2] as (number | undefined)[], python: "/usr/bin/python3", torchKeepEnv: false }, FLAGS);

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));

/**
 * Median step time of each mode's loop, over `steps` steps each after `warmup` (and after every
 * program of a loop exists). The loops run in alternating blocks of `block` steps (plain, manifold,
 * plain, ...): load from other processes falls on both alike, and within a block a loop runs as a
 * training loop does (stepping one loop at a time would also charge each step the cache misses of
 * switching to another loop's programs).
 */
async function timeLoops(backend: string, workload: WorkloadName, modes: readonly Mode[], steps: number, warmup: number, block: number): Promise<number[]> {
  await setBackend(backend);
  const loops = modes.map((mode) => trainingLoop(workload, mode));
  try {
    for (const loop of loops) for (let i = 0; i < warmup || (loop.programs < loop.eligible && i < warmup + 50); i++) loop.run();
    const times = loops.map((): number[] => []);
    for (let done = 0; done < steps; done += block) {
      loops.forEach((loop, j) => {
        for (let i = 0; i < Math.min(block, steps - done); i++) {
          const t0 = performance.now();
          loop.run();
          times[j]!.push(performance.now() - t0);
        }
      });
    }
    loops.forEach((loop, j) => {
      if (!Number.isFinite(loop.loss)) throw new Error(`${workload}/${modes[j]} on ${backend}: the loss is ${loop.loss}`);
    });
    return times.map(median);
  } finally {
    for (const loop of loops) loop.dispose();
  }
}

/**
 * onnxruntime's float32 matmul on 1024x1024 operands, in GFLOP/s (median of 9): the kernel that bounds
 * the dense steps, beside PyTorch's own figure for the same product (pytorch_bench.py's sgemm_gflops).
 */
async function onnxSgemmGflops(): Promise<number> {
  await setBackend("onnx");
  const n = 1024;
  const a = np.array(Float32Array.from({ length: n * n }, (_, i) => (i % 7) / 7), { shape: [n, n] });
  const b = np.array(Float32Array.from({ length: n * n }, (_, i) => (i % 5) / 5), { shape: [n, n] });
  const mm = jit((x: MxArray, y: MxArray) => np.matmul(x, y));
  dispose(mm(a, b));
  const times: number[] = [];
  for (let i = 0; i < 9; i++) {
    const t0 = performance.now();
    dispose(mm(a, b));
    times.push(performance.now() - t0);
  }
  dispose([a, b]);
  mm.clearCache();
  return (2 * n ** 3) / (median(times) * 1e6);
}

/** Steps per block when plain and manifold loops alternate (about 30 ms of mlp, 100 ms of cnn). */
const BLOCK: Record<WorkloadName, number> = { mlp: 10, cnn: 3, preact18: 1 };

/** Fewer steps where a step is slow: wasm is about 5-10x slower than onnx. */
const WASM_STEPS: Record<WorkloadName, [number, number]> = { mlp: [10, 3], cnn: [3, 1], preact18: [1, 1] };

interface Round {
  onnxSgemmGflops: number;
  onnxPlain: number;
  onnxManifold: number;
  wasmPlain?: number;
  torch: { threads: number | undefined; result: TorchResult }[];
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const device = onnxDevice();
  process.stderr.write(`onnx: ${device.detail}\n`);
  const results: Record<string, Round[]> = {};
  for (const w of opts.workload) {
    const spec = WORKLOADS[w];
    const rounds: Round[] = [];
    for (let r = 0; r < opts.rounds; r++) {
      process.stderr.write(`${w}, round ${r + 1}/${opts.rounds}: onnx`);
      const onnxSgemm = await onnxSgemmGflops();
      const [onnxPlain, onnxManifold] = (await timeLoops("onnx", w, ["plain", "manifold"], spec.steps, spec.warmup, BLOCK[w])) as [number, number];
      let wasmPlain: number | undefined;
      if (opts.wasm) {
        process.stderr.write(", wasm");
        wasmPlain = (await timeLoops("wasm", w, ["plain"], ...WASM_STEPS[w], 1))[0]!;
      }
      const torch = opts.torchThreads.map((threads) => {
        process.stderr.write(`, pytorch (${threads ?? "default"} threads)`);
        return { threads, result: runTorch(repoRoot, w, { threads, steps: spec.steps, warmup: spec.warmup, python: opts.python, keepEnv: opts.torchKeepEnv }) };
      });
      process.stderr.write("\n");
      rounds.push({ onnxSgemmGflops: onnxSgemm, onnxPlain, onnxManifold, ...(wasmPlain !== undefined ? { wasmPlain } : {}), torch });
    }
    results[w] = rounds;
  }
  await setBackend("cpu");

  const lines = [
    `onnx: ${device.detail}; ${opts.rounds} round(s), medians of per-round values`,
    "",
    "| workload | onnx plain ms | onnx manifold / plain | wasm plain ms | onnx / wasm | PyTorch plain ms (threads) | onnx / PyTorch plain | onnx / PyTorch manifold |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const [w, rounds] of Object.entries(results)) {
    const plain = median(rounds.map((r) => r.onnxPlain));
    const mix = median(rounds.map((r) => r.onnxManifold / r.onnxPlain));
    const wasm = rounds[0]!.wasmPlain !== undefined ? median(rounds.map((r) => r.wasmPlain!)) : undefined;
    const vsWasm = wasm !== undefined ? median(rounds.map((r) => r.onnxPlain / r.wasmPlain!)) : undefined;
    for (let t = 0; t < opts.torchThreads.length; t++) {
      const ok = rounds.map((r) => r.torch[t]!.result).filter((x): x is Extract<TorchResult, { ok: true }> => x.ok);
      const torchCell = ok.length ? `${fmt(median(ok.map((x) => x.timing.plain)))} (${ok[0]!.timing.threads})` : `skipped: ${(rounds[0]!.torch[t]!.result as { reason: string }).reason}`;
      const ratioPlain = ok.length ? median(rounds.filter((r) => r.torch[t]!.result.ok).map((r) => r.onnxPlain / (r.torch[t]!.result as { timing: { plain: number } }).timing.plain)).toFixed(2) : "–";
      const ratioMix = ok.length ? median(rounds.filter((r) => r.torch[t]!.result.ok).map((r) => r.onnxManifold / (r.torch[t]!.result as { timing: { manifold: number } }).timing.manifold)).toFixed(2) : "–";
      const first = t === 0;
      lines.push(
        `| ${first ? `${w} (batch ${WORKLOADS[w as WorkloadName].batch})` : ""} | ${first ? fmt(plain) : ""} | ${first ? mix.toFixed(3) : ""} | ${first && wasm !== undefined ? fmt(wasm) : ""} | ${first && vsWasm !== undefined ? vsWasm.toFixed(2) : ""} | ${torchCell} | ${ratioPlain} | ${ratioMix} |`,
      );
    }
  }
  const all = Object.values(results).flat();
  const torchSgemm = all.flatMap((r) => r.torch.map((t) => t.result).filter((x): x is Extract<TorchResult, { ok: true }> => x.ok).map((x) => ({ threads: x.timing.threads, gflops: x.timing.sgemmGflops })));
  const sgemmLine = [`1024³ float32 matmul, GFLOP/s (medians over rounds): onnxruntime ${median(all.map((r) => r.onnxSgemmGflops)).toFixed(0)}`];
  for (const threads of [...new Set(torchSgemm.map((t) => t.threads))]) sgemmLine.push(`PyTorch (${threads} thread${threads === 1 ? "" : "s"}) ${median(torchSgemm.filter((t) => t.threads === threads).map((t) => t.gflops)).toFixed(0)}`);
  lines.push("", sgemmLine.join(", "), opts.torchKeepEnv ? "PyTorch ran with OPENBLAS_CORETYPE as set (--torch-keep-env)." : "PyTorch ran without OPENBLAS_CORETYPE (which pins OpenBLAS to AVX2 kernels where it is set).");
  console.log(lines.join("\n"));
  const out = join(here, "results.json");
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), device: device.detail, rounds: opts.rounds, results }, null, 2));
  process.stderr.write(`wrote ${out}\n`);
}

main().catch((e) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});

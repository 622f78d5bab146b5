import { describeOnnxConfig, type OnnxTuning } from "./onnx-peer.js";
import type { TorchReport } from "./pytorch.js";
import type { TorchPeerChoice } from "./torch-peer.js";
import type { ImplName, WorkloadResult } from "./run-workload.js";
import { fmt, fmtTiming, type Cell, type Timing } from "./timing.js";
import type { TransformRow } from "./transforms.js";

export interface Report {
  date: string;
  machine: { cpu: string; vendor: string; simd: string[]; cores: number; memoryGiB: number; node: string };
  backends: string[];
  matmulPeakGflops: Record<string, number | string>;
  /** The same peaks by process CPU time (onnx's threads make its figure a sum over them). */
  matmulPeakCpuGflops?: Record<string, number>;
  notes: string[];
  results: WorkloadResult[];
  /** The vmap rows (see transforms.ts). */
  transforms?: TransformRow[];
  /** The PyTorch peer's process; its steps are cells of each workload's rounds. */
  torch: TorchReport;
  /** How PyTorch's configuration was chosen (absent with --torch-keep-env or --no-torch). */
  torchPeer?: TorchPeerChoice;
  /** onnxruntime's session options chosen per workload (absent with --no-tune). */
  onnxTuning: Record<string, OnnxTuning>;
  peakRssMb: number;
  wallSeconds: number;
}

const timingOf = (c: Cell | undefined): Timing | undefined => (c && "timing" in c ? c.timing : undefined);
const cellText = (c: Cell | undefined) => (c === undefined ? "–" : "timing" in c ? fmtTiming(c.timing) : `unsupported: ${c.unsupported.replace(/\|/g, "/")}`);
const ratio = (a: Timing | undefined, b: Timing | undefined) => (a && b ? (a.medianMs / b.medianMs).toFixed(2) : "–");
/** The ratio of medians, then in brackets the median of the per-round ratios and, where asked, their range. */
const pairedRatio = (w: WorkloadResult, a: ImplName, b: ImplName, range = false) => {
  const r = ratio(timingOf(w.cells[a]), timingOf(w.cells[b]));
  const key = `${a} / ${b}`;
  const p = w.pairedRatios[key];
  const span = range ? w.pairedRanges?.[key] : undefined;
  return p === undefined ? r : `${r} (${p.toFixed(2)}${span ? `, ${span.min.toFixed(2)}–${span.max.toFixed(2)}` : ""})`;
};
const gflops = (flops: number, t: Timing | undefined) => (t ? flops / t.medianMs / 1e6 : undefined);
const table = (head: string[], rows: string[][]) => [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");

/** The markdown the bench prints: step times, ratios, efficiency, compile and memory, the profile, targets. */
export function renderReport(r: Report): string {
  const out: string[] = [];
  const t = r.torch.skipped === undefined ? r.torch : undefined;
  const tfjsPeaks = Object.entries(r.matmulPeakGflops).flatMap(([b, v]) => (b !== "onnx" && typeof v === "number" ? [v] : []));
  const bestTfjsPeak = tfjsPeaks.length ? Math.max(...tfjsPeaks) : undefined;
  out.push(`## mmx bench, ${r.date}`);
  out.push("");
  out.push(`Machine: ${r.machine.cpu} (${r.machine.vendor}; ${r.machine.simd.join(" ") || "no SIMD flags read"}), ${r.machine.cores} cores, ${r.machine.memoryGiB.toFixed(0)} GiB, Node ${r.machine.node}. Load average at each workload's start and end is in results.json.`);
  out.push(
    `Matmul peak (same run): ${Object.entries(r.matmulPeakGflops)
      .map(([b, v]) => {
        const cpu = b === "onnx" ? undefined : r.matmulPeakCpuGflops?.[b];
        return `${b === "onnx" ? "onnxruntime (onnx)" : `tfjs ${b}`} ${typeof v === "number" ? v.toFixed(1) : v} GFLOP/s${cpu === undefined ? "" : ` (by CPU time ${cpu.toFixed(1)})`}`;
      })
      .join(", ")}${t ? `, PyTorch sgemm ${t.sgemm_gflops.toFixed(1)} GFLOP/s` : ""}.`,
  );
  if (t) {
    out.push(
      `PyTorch ${t.torch_version} on CPU: ${t.threads} intra-op / ${t.interop_threads} inter-op threads, BLAS ${t.blas?.split(",").find((l) => /openblas/i.test(l))?.trim() ?? t.blas} with ${t.blas_threads ?? "?"} threads (core ${t.blas_core ?? "?"}); ` +
        `env ${JSON.stringify(t.env ?? {})}. tfjs wasm runs one thread in Node.`,
    );
  }
  out.push(...peerLines(r));
  for (const n of r.notes) out.push(`- ${n}`);
  out.push("");

  if (r.transforms?.length) {
    out.push("### vmap and scan: one program against the loop it replaces, ms: median (min–max), interleaved");
    out.push("");
    out.push(
      table(
        ["what", "backend", "rounds", "one program", "ms", "loop", "ms", "ratio (paired)", "CPU-time ratio", "target"],
        r.transforms.map((x) => [
          x.name,
          x.backend,
          String(x.vmapped.timing.steps),
          x.vmapped.label,
          fmtTiming(x.vmapped.timing),
          x.separate.label,
          fmtTiming(x.separate.timing),
          `${ratio(x.vmapped.timing, x.separate.timing)} (${x.pairedRatio.toFixed(2)})`,
          x.cpuRatio.toFixed(2),
          x.target === undefined ? "–" : `<= ${x.target}x${x.backend === "onnx" ? (x.pairedRatio <= x.target ? ": met" : ": not met") : " (set for onnx)"}`,
        ]),
      ),
    );
    out.push("");
  }
  if (r.results.length === 0) return out.join("\n");
  out.push("### Step time, ms: median (min–max), steps interleaved across implementations, PyTorch's included");
  out.push("");
  const impls: ImplName[] = ["mmx plain", "mmx input", "mmx manifold", "tfjs eager", "tfjs-layers", "PyTorch plain", "PyTorch input", "PyTorch manifold"];
  out.push(table(["workload", "backend", "steps", ...impls], r.results.map((w) => [w.title, w.backend, String(w.steps), ...impls.map((i) => cellText(w.cells[i]))])));
  out.push("");

  out.push(
    "### Ratios of medians (same run); in brackets the median of per-round ratios (steps were interleaved), and against PyTorch their range",
  );
  out.push("");
  out.push(
    table(
      ["workload", "backend", "input / plain", "manifold / plain", "mmx / tfjs eager", "mmx / tfjs-layers", "mmx / PyTorch plain", "mmx / PyTorch manifold", "PyTorch manifold / plain"],
      r.results.map((w) => [
        w.title,
        w.backend,
        pairedRatio(w, "mmx input", "mmx plain"),
        pairedRatio(w, "mmx manifold", "mmx plain"),
        pairedRatio(w, "mmx plain", "tfjs eager"),
        pairedRatio(w, "mmx plain", "tfjs-layers"),
        pairedRatio(w, "mmx plain", "PyTorch plain", true),
        pairedRatio(w, "mmx manifold", "PyTorch manifold", true),
        pairedRatio(w, "PyTorch manifold", "PyTorch plain"),
      ]),
    ),
  );
  out.push("");
  const peers = r.results.flatMap((w) => (w.torch && "ready" in w.torch ? [{ w, p: w.torch }] : []));
  const idle = peers.flatMap(({ w, p }) => (p.idleCores !== undefined ? [`${w.workload} on ${w.backend} ${p.idleCpuMs!.toFixed(2)} ms (${p.idleCores.toFixed(3)} cores)`] : []));
  if (idle.length) {
    out.push(`PyTorch's CPU time between two of its steps, while the other implementations ran (median per gap; in brackets the total over the gaps' wall time, in cores: workers that spin after a step would take that from the next implementation): ${idle.join("; ")}.`);
    out.push("");
  }
  const host = peers.flatMap(({ w, p }) => (p.hostCores !== undefined ? [`${w.workload} on ${w.backend} ${p.hostCpuMs!.toFixed(2)} ms (${p.hostCores.toFixed(3)} cores)`] : []));
  if (host.length) {
    out.push(`This process's CPU time while a PyTorch step ran (median per step, the command's pipe and JSON work included; in brackets the total over PyTorch's step time, in cores: onnxruntime's or V8's threads still busy after mmx's step would take that from PyTorch): ${host.join("; ")}.`);
    out.push("");
  }

  out.push("### Throughput, compile time, tensors");
  out.push("");
  out.push(
    "GFLOP/s: the dense kernels' FLOPs of a plain step (matmuls, convolutions and their adjoints, counted from the jaxpr) over the median step time; the percentage is of the best tfjs backend's matmul peak" +
      (t ? " / of PyTorch's sgemm." : "."),
  );
  out.push("");
  const pct = (g: number | undefined) => (g === undefined ? "–" : `${g.toFixed(1)} (${bestTfjsPeak ? ((100 * g) / bestTfjsPeak).toFixed(0) : "?"}%${t ? ` / ${((100 * g) / t.sgemm_gflops).toFixed(0)}%` : ""})`);
  out.push(
    table(
      ["workload", "backend", "GFLOP per step", "GFLOP/s mmx plain", "tfjs eager", "tfjs-layers", "PyTorch plain", "trace + compile ms per program", "first run ms (compile + run)", "tensors before → after timed steps", "leak run (mmx manifold)"],
      r.results.map((w) => {
        const progs = Object.entries(w.programs).flatMap(([mode, ps]) => ps!.map((p) => ({ mode, ...p })));
        const trace = progs.map((p) => `${p.mode === "plain" ? "plain" : `${p.mode[0]}@${p.layer}`} ${p.traceMs.toFixed(0)} + ${p.compileMs === undefined ? "?" : p.compileMs.toFixed(0)}`).join(", ");
        const first = progs.map((p) => fmt(p.firstRunMs));
        return [
          w.title,
          w.backend,
          (w.denseFlops / 1e9).toFixed(2),
          pct(gflops(w.denseFlops, timingOf(w.cells["mmx plain"]))),
          pct(gflops(w.denseFlops, timingOf(w.cells["tfjs eager"]))),
          pct(gflops(w.denseFlops, timingOf(w.cells["tfjs-layers"]))),
          pct(gflops(w.denseFlops, timingOf(w.cells["PyTorch plain"]))),
          trace,
          first.join(", "),
          `${w.tensors.before} → ${w.tensors.after} (${w.tensors.steps})`,
          w.leak ? `${w.leak.before} → ${w.leak.after} (${w.leak.steps} steps)` : "–",
        ];
      }),
    ),
  );
  out.push("");
  out.push(`Peak RSS: this process ${r.peakRssMb.toFixed(0)} MiB${t?.peak_rss_mb ? `; PyTorch's ${t.peak_rss_mb.toFixed(0)} MiB` : ""}. Wall time ${r.wallSeconds.toFixed(0)} s.`);

  const profiled = r.results.filter((w) => w.profile);
  for (const w of profiled) {
    for (const [what, rows] of Object.entries(w.profile!)) {
      const total = rows.reduce((s, x) => s + x.ms, 0);
      out.push("");
      out.push(`### Where the time goes: ${w.title}, ${what} on ${w.backend} (one synchronised step, ${fmt(total)} ms)`);
      out.push("");
      out.push(
        table(
          ["primitive", "equations", "ms", "%"],
          rows.filter((x) => x.percent >= 0.5).map((x) => [x.primitive, String(x.count), fmt(x.ms), x.percent.toFixed(1)]),
        ),
      );
    }
  }

  out.push("");
  out.push("### Targets");
  out.push("");
  out.push(...targets(r));
  return out.join("\n");
}

/** The most a mixed step (input or manifold) may cost over the plain step. */
const MIXING_OVERHEAD = 1.03;

function targets(r: Report): string[] {
  const lines: string[] = [];
  const mark = (ok: boolean) => (ok ? "met" : "NOT met");
  for (const w of r.results) {
    const c = (i: ImplName) => timingOf(w.cells[i]);
    const plain = c("mmx plain");
    const parts: string[] = [];
    for (const m of ["mmx input", "mmx manifold"] as const) {
      const x = c(m);
      const p = w.pairedRatios[`${m} / mmx plain`];
      if (plain && x) parts.push(`${m.slice(4)}/plain ${(x.medianMs / plain.medianMs).toFixed(2)}${p === undefined ? "" : ` (paired ${p.toFixed(2)})`} (<= ${MIXING_OVERHEAD}: ${mark(x.medianMs / plain.medianMs <= MIXING_OVERHEAD)})`);
    }
    if (w.backend === "wasm") {
      for (const [peer, limit] of [["tfjs eager", 0.8], ["tfjs-layers", 0.5]] as const) {
        const p = c(peer);
        const cell = w.cells[peer];
        if (plain && p) parts.push(`mmx/${peer} ${(plain.medianMs / p.medianMs).toFixed(2)} (<= ${limit}: ${mark(plain.medianMs / p.medianMs <= limit)})`);
        else if (cell && "unsupported" in cell) parts.push(`mmx/${peer}: no peer (${peer} cannot train it on wasm)`);
      }
      const peak = r.matmulPeakGflops.wasm;
      if (w.workload === "mlp" && plain && typeof peak === "number") {
        const share = w.denseFlops / plain.medianMs / 1e6 / peak;
        const cpuPeak = r.matmulPeakCpuGflops?.wasm;
        const cpuShare = cpuPeak && plain.cpuMedianMs ? w.denseFlops / plain.cpuMedianMs / 1e6 / cpuPeak : undefined;
        const byCpu = cpuShare === undefined ? "" : `; by CPU time ${(100 * cpuShare).toFixed(0)}%, less distorted by a loaded machine`;
        parts.push(`mlp step at ${(100 * share).toFixed(0)}% of tfjs-wasm's 1024³ matmul peak (>= 60%: ${mark(share >= 0.6)}${byCpu})`);
      }
    }
    if (w.backend === "onnx") {
      // The onnx executor's target: every workload's step at or below PyTorch's, each peer at its best.
      const limit = 1.0;
      const tp = c("PyTorch plain");
      const p = w.pairedRatios["mmx plain / PyTorch plain"];
      const span = w.pairedRanges?.["mmx plain / PyTorch plain"];
      const perRound = p === undefined ? "" : ` (per round: median ${p.toFixed(2)}${span ? `, ${span.min.toFixed(2)}–${span.max.toFixed(2)}` : ""})`;
      if (plain && tp) parts.push(`mmx onnx/PyTorch plain ${(plain.medianMs / tp.medianMs).toFixed(2)}${perRound} (<= ${limit.toFixed(1)}: ${mark(plain.medianMs / tp.medianMs <= limit)})`);
    }
    const growth = w.tensors.after - w.tensors.before;
    parts.push(`tensor growth ${growth} over ${w.tensors.steps} steps${w.leak ? `, ${w.leak.after - w.leak.before} over ${w.leak.steps}` : ""} (${mark(growth === 0 && (!w.leak || w.leak.after === w.leak.before))})`);
    if (w.workload === "preact18") {
      const worst = Math.max(...Object.values(w.programs).flatMap((ps) => ps!.map((p) => p.traceMs + (p.compileMs ?? Number.NaN))));
      parts.push(Number.isNaN(worst) ? "jit compile: not measured" : `jit trace + compile <= ${worst.toFixed(0)} ms per program (< 1 s: ${mark(worst < 1000)})`);
    }
    lines.push(`- ${w.title} on ${w.backend}: ${parts.join("; ")}`);
  }
  return lines;
}

/** How each peer was put at its best: the configurations probed, which were rejected and why, what was chosen. */
function peerLines(r: Report): string[] {
  const lines: string[] = [];
  const p = r.torchPeer;
  if (p?.chosen) {
    const probes = p.probes.map((q) => `${q.coreType}/${q.threads}t ${q.failed ? `failed (${q.failed})` : `${q.core} ${q.sgemmGflops!.toFixed(0)}${q.correct ? "" : " WRONG"}`}`);
    lines.push(`PyTorch's configuration: ${p.chosen.coreType === "auto" ? "OpenBLAS's own kernel choice" : `OPENBLAS_CORETYPE=${p.chosen.coreType}`}, ${p.chosen.threads} thread(s), OMP_WAIT_POLICY=PASSIVE: the fastest correct sgemm of ${p.probes.length} probed (GFLOP/s, best of 2 interleaved passes: ${probes.join("; ")}).`);
  } else if (!p) lines.push("PyTorch's configuration: the environment as it is (--torch-keep-env, or PyTorch not run).");
  const tuned = Object.entries(r.onnxTuning);
  if (tuned.length) {
    lines.push(`onnxruntime's session options per workload, the fastest median manifold-mixup step (its programs in turn) of 8 configurations in interleaved rounds: ${tuned.map(([w, t]) => `${w}: ${describeOnnxConfig(t.chosen)} (${t.probes.map((q) => q.medianMs.toFixed(1)).join("/")} ms)`).join("; ")}.`);
  }
  return lines;
}

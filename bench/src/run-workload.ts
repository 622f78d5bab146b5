import { memory, type ClosedJaxpr, type StepTiming } from "@mmx/core";
import type { BoundaryRef } from "@mmx/mixup";
import { denseFlops, flopsByPrimitive } from "./flops.js";
import { mmxStep, MODES, type Mode } from "./mmx-step.js";
import { failedImpls, torchMode, type TorchPeerRun, type TorchStart } from "./pytorch.js";
import { perRoundRatio, runRounds, type Steppable } from "./rounds.js";
import { tfjsEagerStep } from "./tfjs-eager.js";
import { tfjsLayersStep } from "./tfjs-layers.js";
import { firstLine, load, median, peakRssMb, type Cell } from "./timing.js";
import type { Workload } from "./workloads.js";

export type ImplName = `mmx ${Mode}` | "tfjs eager" | "tfjs-layers" | `PyTorch ${Mode}`;

export interface ProgramInfo {
  /** The layer the program mixes at (null: the plain step). */
  layer: BoundaryRef | null;
  equations: number;
  /** Tracing the step (and dead-code elimination): `jitted.lower`. */
  traceMs: number;
  /** Compiling the traced program for the backend (the tfjs executor's kernel plan), when measurable. */
  compileMs?: number;
  /** The first call after the trace: compiling the program for the backend plus one run. */
  firstRunMs: number;
}

export interface ProfileRow {
  primitive: string;
  count: number;
  ms: number;
  percent: number;
}

export interface WorkloadResult {
  workload: string;
  title: string;
  backend: string;
  batch: number;
  steps: number;
  warmup: number;
  /** Dense-kernel FLOPs of one plain step, counted from its jaxpr. */
  denseFlops: number;
  flopsByPrimitive: Record<string, number>;
  cells: Partial<Record<ImplName, Cell>>;
  /**
   * The median over interleaved rounds of one implementation's step time over another's in the same
   * round ("a / b"): less moved by a load that changes during the run than the ratio of medians.
   */
  pairedRatios: Record<string, number>;
  /** The smallest and largest of those per-round ratios. */
  pairedRanges: Record<string, { min: number; max: number }>;
  /** The PyTorch peer of this workload's rounds (absent when PyTorch was not asked for). */
  torch?: TorchPeerRun;
  programs: Partial<Record<Mode, ProgramInfo[]>>;
  /** Live tfjs tensors before and after the timed steps of every implementation (interleaved). */
  tensors: { before: number; after: number; steps: number };
  /** A separate run of the mmx manifold step alone. */
  leak?: { steps: number; before: number; after: number };
  /** Per-primitive time of one synchronised step (median of 3), for "mmx plain" and "mmx manifold @1". */
  profile?: Record<string, ProfileRow[]>;
  peakRssMb: number;
  load: { before: string; after: string };
}

type Impl = Steppable & { dispose(): void };

/**
 * Each implementation's place in a round (the first rotating from round to round): each PyTorch mode
 * right after the same mmx mode, and the next mmx mode right after it. A step that follows a run of the
 * other process's steps starts slower (caches, the scheduler's wake-up), and in the rounds' fixed
 * cyclic order that would fall on the same implementations in every round.
 */
const ROUND_PLACE: Record<ImplName, number> = {
  "mmx plain": 0,
  "PyTorch plain": 1,
  "mmx input": 2,
  "PyTorch input": 3,
  "mmx manifold": 4,
  "PyTorch manifold": 5,
  "tfjs eager": 6,
  "tfjs-layers": 7,
};

export interface WorkloadOptions {
  steps: number;
  warmup: number;
  leakSteps: number;
  profile: boolean;
  peers: boolean;
  /** Starts this workload's PyTorch peer, whose three modes then take their steps in the same rounds. */
  torch?: () => Promise<TorchStart>;
  log: (line: string) => void;
}

/**
 * Every implementation of one workload on the current backend, their steps interleaved (one step of
 * each in turn), so that a shared machine's changing load falls on all of them alike and the ratios
 * compare steps taken under the same conditions.
 */
export async function runWorkload(w: Workload, backend: string, opts: WorkloadOptions): Promise<WorkloadResult> {
  const loadBefore = load();
  const cells: Partial<Record<ImplName, Cell>> = {};
  const programs: Partial<Record<Mode, ProgramInfo[]>> = {};
  const live = new Map<ImplName, Impl>();
  const fail = (name: ImplName, e: unknown) => {
    const { names, line } = failedImpls(name, e, { name: w.name, modes: MODES });
    if (line) opts.log(`  ${line}`);
    for (const n of names) {
      // A mode that failed earlier keeps its own reason.
      if (n === name || cells[n] === undefined) cells[n] = { unsupported: firstLine(e) };
      const impl = live.get(n);
      live.delete(n);
      try {
        impl?.dispose();
      } catch {
        // a peer that failed half-way may not dispose cleanly; its failure is what we report
      }
    }
  };

  const mmx = new Map<Mode, ReturnType<typeof mmxStep>>();
  let flops = 0;
  let byPrimitive: Record<string, number> = {};
  for (const mode of MODES) {
    const name: ImplName = `mmx ${mode}`;
    try {
      const s = mmxStep(w, mode);
      mmx.set(mode, s);
      live.set(name, s);
      const infos: ProgramInfo[] = [];
      for (const layer of s.layers) {
        const t0 = performance.now();
        const closed = s.lower(layer);
        const traceMs = performance.now() - t0;
        if (mode === "plain") {
          flops = denseFlops(closed.jaxpr);
          byPrimitive = flopsByPrimitive(closed.jaxpr);
        }
        const compileMs = await timeCompile(closed, backend);
        const t1 = performance.now();
        await s.runAt(layer);
        infos.push({ layer, equations: closed.jaxpr.eqns.length, traceMs, ...(compileMs !== undefined ? { compileMs } : {}), firstRunMs: performance.now() - t1 });
      }
      programs[mode] = infos;
      opts.log(`  ${name}: ${infos.map((p) => `${p.layer ?? "plain"}: ${p.equations} eqns, trace ${p.traceMs.toFixed(0)} ms, first run ${p.firstRunMs.toFixed(0)} ms`).join("; ")}`);
    } catch (e) {
      fail(name, e);
    }
  }
  if (opts.peers) {
    for (const [name, make] of [
      ["tfjs eager", () => tfjsEagerStep(w)],
      ["tfjs-layers", () => tfjsLayersStep(w)],
    ] as const) {
      try {
        const impl = make();
        live.set(name, impl);
        await impl.run(); // the first step builds and checks every kernel: a missing one fails here
      } catch (e) {
        fail(name, e);
        opts.log(`  ${name}: unsupported: ${cells[name] && "unsupported" in cells[name]! ? cells[name]!.unsupported : ""}`);
      }
    }
  }

  // Started once mmx's programs are compiled (its start-up would fall on their compile times), the
  // peer's three modes step in the same rounds as mmx's implementations.
  let torch: TorchPeerRun | undefined;
  const torchStart = opts.torch ? await opts.torch() : undefined;
  if (torchStart && "skipped" in torchStart) torch = { skipped: torchStart.skipped };
  else if (torchStart) {
    torch = { ready: torchStart.ready };
    for (const mode of MODES) live.set(`PyTorch ${mode}`, { ...torchMode(torchStart.stepper, mode), dispose() {} });
    opts.log(`  PyTorch ${torchStart.ready.torch_version}: ${torchStart.ready.threads} thread(s), OpenBLAS core ${torchStart.ready.blas_core ?? "?"}, sgemm ${torchStart.ready.sgemm_gflops.toFixed(1)} GFLOP/s`);
  }

  putInRoundOrder(live);
  const before = memory().numTensors;
  const times = await runRounds(live, { steps: opts.steps, warmup: opts.warmup, onFail: fail });
  const after = memory().numTensors;
  for (const [name, t] of times) {
    if (cells[name]) continue;
    const ts = t.wallMs;
    cells[name] = { timing: { medianMs: median(ts), minMs: Math.min(...ts), maxMs: Math.max(...ts), steps: ts.length, cpuMedianMs: median(t.cpuMs) } };
  }
  const pairedRatios: Record<string, number> = {};
  const pairedRanges: Record<string, { min: number; max: number }> = {};
  const paired = (a: ImplName, b: ImplName) => {
    const measured = (n: ImplName) => (cells[n] !== undefined && "timing" in cells[n]! ? times.get(n)?.wallMs : undefined);
    const r = perRoundRatio(measured(a), measured(b));
    if (!r) return;
    pairedRatios[`${a} / ${b}`] = r.median;
    pairedRanges[`${a} / ${b}`] = { min: r.min, max: r.max };
  };
  for (const m of ["input", "manifold"] as const) {
    paired(`mmx ${m}`, "mmx plain");
    paired(`PyTorch ${m}`, "PyTorch plain");
  }
  paired("mmx plain", "tfjs eager");
  paired("mmx plain", "tfjs-layers");
  for (const m of MODES) paired(`mmx ${m}`, `PyTorch ${m}`);

  if (torchStart && "stepper" in torchStart) {
    const idle = MODES.flatMap((m) => times.get(`PyTorch ${m}`)?.idleMs ?? []);
    const idleCpu = MODES.flatMap((m) => times.get(`PyTorch ${m}`)?.idleCpuMs ?? []);
    const hostCpu = MODES.flatMap((m) => times.get(`PyTorch ${m}`)?.hostCpuMs ?? []);
    const stepWall = MODES.flatMap((m) => times.get(`PyTorch ${m}`)?.wallMs ?? []);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    torch = {
      ready: torchStart.ready,
      ...(await torchStart.stepper.close()),
      ...(idleCpu.length ? { idleCpuMs: median(idleCpu), idleCores: sum(idle) > 0 ? sum(idleCpu) / sum(idle) : 0 } : {}),
      ...(hostCpu.length ? { hostCpuMs: median(hostCpu), hostCores: sum(stepWall) > 0 ? sum(hostCpu) / sum(stepWall) : 0 } : {}),
    };
    for (const m of MODES) live.delete(`PyTorch ${m}`);
  }

  let profile: WorkloadResult["profile"];
  if (opts.profile) {
    profile = {};
    const plain = mmx.get("plain");
    const manifold = mmx.get("manifold");
    if (plain) profile["mmx plain"] = profileOf((l) => plain.profile(l), null);
    if (manifold && manifold.layers.length > 1) profile[`mmx manifold @${manifold.layers[1]}`] = profileOf((l) => manifold.profile(l), manifold.layers[1]!);
  }
  for (const [name, impl] of [...live]) {
    if (!name.startsWith("mmx")) {
      impl.dispose();
      live.delete(name);
    }
  }

  let leak: WorkloadResult["leak"];
  const manifold = mmx.get("manifold");
  if (opts.leakSteps > 0 && manifold && live.has("mmx manifold")) {
    const leakBefore = memory().numTensors;
    for (let i = 0; i < opts.leakSteps; i++) await manifold.run();
    leak = { steps: opts.leakSteps, before: leakBefore, after: memory().numTensors };
  }
  for (const impl of live.values()) impl.dispose();

  return {
    workload: w.name,
    title: w.title,
    backend,
    batch: w.batch,
    steps: opts.steps,
    warmup: opts.warmup,
    denseFlops: flops,
    flopsByPrimitive: byPrimitive,
    cells,
    pairedRatios,
    pairedRanges,
    ...(torch ? { torch } : {}),
    programs,
    tensors: { before, after, steps: opts.steps },
    ...(leak ? { leak } : {}),
    ...(profile ? { profile } : {}),
    peakRssMb: peakRssMb(),
    load: { before: loadBefore, after: load() },
  };
}

/** Reorders `impls` (a map's iteration order is the rounds' order) by ROUND_PLACE. */
export function putInRoundOrder<T>(impls: Map<ImplName, T>): void {
  const ordered = [...impls].sort(([a], [b]) => ROUND_PLACE[a] - ROUND_PLACE[b]);
  impls.clear();
  for (const [name, impl] of ordered) impls.set(name, impl);
}

type ProgramClass = new (closed: ClosedJaxpr) => { dispose(): void };
const programClasses = new Map<string, ProgramClass | null>();

/**
 * The executor's compile time for a traced program: what `jit` does between the trace and the first
 * run. On onnx that is @mmx/onnx's OnnxProgram (lowering, encoding, the onnxruntime session); the
 * tfjs executor is internal to @mmx/core, so it is reached by its file in the monorepo; if that
 * moves, compile times are left out (the first-run column still holds them).
 */
async function timeCompile(closed: ClosedJaxpr, backend: string): Promise<number | undefined> {
  const kind = backend === "onnx" ? "onnx" : "tfjs";
  if (!programClasses.has(kind)) {
    try {
      if (kind === "onnx") programClasses.set(kind, (await import("@mmx/onnx")).OnnxProgram as unknown as ProgramClass);
      else {
        const url = new URL("../../packages/core/dist/tfjs-executor.js", import.meta.url).href;
        programClasses.set(kind, ((await import(url)) as { TfjsProgram?: ProgramClass }).TfjsProgram ?? null);
      }
    } catch {
      programClasses.set(kind, null);
    }
  }
  const programClass = programClasses.get(kind);
  if (!programClass) return undefined;
  const t0 = performance.now();
  const program = new programClass(closed);
  const ms = performance.now() - t0;
  program.dispose();
  return ms;
}

/** Median per-equation times over 3 synchronised runs, summed by primitive. */
function profileOf(run: (layer: BoundaryRef | null) => StepTiming[], layer: BoundaryRef | null): ProfileRow[] {
  const runs = [run(layer), run(layer), run(layer)];
  const byPrimitive = new Map<string, { count: number; ms: number }>();
  let total = 0;
  runs[0]!.forEach((t, i) => {
    const ms = median(runs.map((r) => r[i]!.ms));
    total += ms;
    const row = byPrimitive.get(t.primitive) ?? { count: 0, ms: 0 };
    row.count++;
    row.ms += ms;
    byPrimitive.set(t.primitive, row);
  });
  return [...byPrimitive]
    .map(([primitive, r]) => ({ primitive, count: r.count, ms: r.ms, percent: (100 * r.ms) / total }))
    .sort((a, b) => b.ms - a.ms);
}

import { bind, jit, np, setBackend, type Array as MxArray, type Eqn, type Params } from "@mmx/core";
import { denseFlops } from "./flops.js";
import { mmxStep } from "./mmx-step.js";
import { fmt, load, matmulPeakGflops, median } from "./timing.js";
import { WORKLOADS, type WorkloadName } from "./workloads.js";

/**
 * Where a plain mmx training step loses against the backend's 1024³ matmul peak: each of the step's
 * matmuls is timed inside the step (the executor's per-kernel profile), alone through the same
 * lowering with operands made fresh for every call (as a step's weights and cotangents are), and
 * alone with the same operands every call (the peak's case: XNNPACK keeps a packed right operand
 * per tensor, so a repeated operand is packed once); the other kernels are summed by primitive.
 * Rounds interleave all of these so that a machine load that changes falls on each part alike;
 * figures are minima over rounds (what each part costs when it runs undisturbed) and medians.
 * The timed steps and the profiled ones are two instances of the step: a profile does not advance
 * the weights, and a timed step right after it would meet the weights the profile already read
 * (packed, or not, depending on the kernel), which no training step does.
 */
export interface GemmRow {
  scope: string;
  /** e.g. "f32[128,784] · f32[784,512]ᵀ" */
  shape: string;
  flops: number;
  inStep: Stat;
  aloneFresh: Stat;
  aloneRepeated: Stat;
}

export interface Stat {
  min: number;
  median: number;
}

export interface GapReport {
  backend: string;
  workload: WorkloadName;
  rounds: number;
  load: { before: string; after: string };
  stepFlops: number;
  step: Stat;
  /**
   * The step's and the 1024³ matmul's process CPU time (ms), which a loaded machine inflates far
   * less than wall time: the process waiting for a core costs none (the kernels run on one thread).
   */
  cpu: { step: Stat; peak: Stat };
  /** The 1024³ matmul's best rate: the bench's measurement and one more per round. */
  peakGflops: number;
  /** Sum over the step's kernels of each kernel's statistic. */
  kernels: Stat;
  gemms: GemmRow[];
  /** The step's other kernels, summed by kernel name ("relu_grad", "mul", ...). */
  others: { name: string; count: number; min: number; median: number }[];
}

const stat = (xs: readonly number[]): Stat => ({ min: Math.min(...xs), median: median(xs) });

function describeMatmul(eqn: Eqn): string {
  const p = eqn.params as Params<"matmul">;
  const [a, b] = eqn.inputs.map((x) => `${x.aval}`);
  return `${a}${p.transposeA ? "ᵀ" : ""} · ${b}${p.transposeB ? "ᵀ" : ""}`;
}

/** Host values for an operand (uniform in [-1, 1)), made once; each upload of them is a fresh tensor. */
function hostValues(shape: readonly number[], seed: number): Float32Array {
  let s = seed >>> 0;
  const n = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1);
}

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

const timed = (fn: () => MxArray): number => {
  const t0 = performance.now();
  const out = fn();
  const ms = performance.now() - t0; // cpu and wasm kernels finish before they return
  out.dispose();
  return ms;
};

export async function measureWasmGap({ workload = "mlp", backend = "wasm", rounds = 20, log = (_: string) => {} }: { workload?: WorkloadName; backend?: string; rounds?: number; log?: (line: string) => void } = {}): Promise<GapReport> {
  await setBackend(backend);
  const before = load();
  const w = WORKLOADS[workload];
  const step = mmxStep(w, "plain");
  const profiled = mmxStep(w, "plain");
  for (let i = 0; i < 3; i++) {
    await step.run();
    await profiled.run();
  }
  const closed = step.lower(null);
  const matmuls = closed.jaxpr.eqns.filter((e) => e.primitive === "matmul");
  const alone = matmuls.map((eqn, i) => {
    const p = eqn.params as Params<"matmul">;
    const program = jit((a: MxArray, b: MxArray) => bind("matmul", [a, b], p));
    const host = eqn.inputs.map((x, j) => hostValues(x.aval.shape, 7 * i + j + 1));
    const upload = () => eqn.inputs.map((x, j) => np.array(host[j]!, { shape: [...x.aval.shape] }));
    const repeated = upload();
    timed(() => program(repeated[0]!, repeated[1]!)); // compiles, and packs the repeated operand once
    return { eqn, program, upload, repeated };
  });
  // The peak as the bench measures it (best of 5, the right operand repeated), and once per round.
  const peak = { a: np.array(hostValues([1024, 1024], 101), { shape: [1024, 1024] }), b: np.array(hostValues([1024, 1024], 102), { shape: [1024, 1024] }) };
  const peakProgram = jit((a: MxArray, b: MxArray) => np.matmul(a, b));
  const peakMs: number[] = [(2 * 1024 ** 3) / (await matmulPeakGflops(1024)) / 1e6];
  timed(() => peakProgram(peak.a, peak.b));
  log(`${backend}: 1024³ matmul peak ${((2 * 1024 ** 3) / peakMs[0]! / 1e6).toFixed(1)} GFLOP/s; ${rounds} rounds (load ${before})`);

  const stepMs: number[] = [];
  const stepCpu: number[] = [];
  const peakCpu: number[] = [];
  const kernelMs: number[][] = [];
  let kernelNames: string[] = [];
  const freshMs = alone.map(() => [] as number[]);
  const repeatedMs = alone.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    const c0 = cpuMs();
    peakMs.push(timed(() => peakProgram(peak.a, peak.b)));
    peakCpu.push(cpuMs() - c0);
    await profiled.run(); // fresh weights for the profile, as a training step has
    const timings = profiled.profile(null);
    kernelNames = timings.map((t) => `${t.primitive}\u0000${t.scope}`);
    timings.forEach((t, i) => (kernelMs[i] ??= []).push(t.ms));
    const c1 = cpuMs();
    const t0 = performance.now();
    await step.run();
    stepMs.push(performance.now() - t0);
    stepCpu.push(cpuMs() - c1);
    alone.forEach((m, i) => {
      const [a, b] = m.upload();
      freshMs[i]!.push(timed(() => m.program(a!, b!)));
      a!.dispose();
      b!.dispose();
      repeatedMs[i]!.push(timed(() => m.program(m.repeated[0]!, m.repeated[1]!)));
    });
  }

  // The step's matmul kernels, in program order, are its matmul equations in order (fused or not).
  const kernelStats = kernelMs.map(stat);
  const gemmKernels = kernelNames.flatMap((n, i) => (n.startsWith("matmul") ? [i] : []));
  if (gemmKernels.length !== matmuls.length) throw new Error(`internal error: ${gemmKernels.length} matmul kernels for ${matmuls.length} matmul equations`);
  const gemms: GemmRow[] = matmuls.map((eqn, i) => ({
    scope: eqn.scope,
    shape: describeMatmul(eqn),
    flops: denseFlops({ eqns: [eqn] } as never),
    inStep: kernelStats[gemmKernels[i]!]!,
    aloneFresh: stat(freshMs[i]!),
    aloneRepeated: stat(repeatedMs[i]!),
  }));
  const others = new Map<string, { name: string; count: number; min: number; median: number }>();
  kernelNames.forEach((key, i) => {
    if (gemmKernels.includes(i)) return;
    const name = key.split("\u0000")[0]!;
    const row = others.get(name) ?? { name, count: 0, min: 0, median: 0 };
    row.count++;
    row.min += kernelStats[i]!.min;
    row.median += kernelStats[i]!.median;
    others.set(name, row);
  });
  for (const m of alone) {
    m.repeated.forEach((a) => a.dispose());
    m.program.clearCache();
  }
  peakProgram.clearCache();
  peak.a.dispose();
  peak.b.dispose();
  step.dispose();
  profiled.dispose();
  return {
    backend,
    workload,
    rounds,
    load: { before, after: load() },
    peakGflops: (2 * 1024 ** 3) / Math.min(...peakMs) / 1e6,
    stepFlops: denseFlops(closed.jaxpr),
    step: stat(stepMs),
    cpu: { step: stat(stepCpu), peak: stat(peakCpu) },
    kernels: { min: kernelStats.reduce((s, k) => s + k.min, 0), median: kernelStats.reduce((s, k) => s + k.median, 0) },
    gemms,
    others: [...others.values()].sort((a, b) => b.min - a.min),
  };
}

/** The report as markdown: the step against the peak, then each part (ms: min, median in brackets). */
export function renderWasmGap(r: GapReport): string {
  const atPeak = (flops: number) => flops / r.peakGflops / 1e6;
  const pct = (flops: number, ms: number) => `${((100 * atPeak(flops)) / ms).toFixed(0)}%`;
  const ms = (s: Stat) => `${fmt(s.min)} (${fmt(s.median)})`;
  const sum = (rows: readonly GemmRow[], pick: (g: GemmRow) => Stat): Stat => ({ min: rows.reduce((s, g) => s + pick(g).min, 0), median: rows.reduce((s, g) => s + pick(g).median, 0) });
  const gemmFlops = r.gemms.reduce((s, g) => s + g.flops, 0);
  const lines = [
    `${r.workload} plain step on ${r.backend}, ${r.rounds} interleaved rounds, load ${r.load.before} → ${r.load.after}; 1024³ matmul peak ${r.peakGflops.toFixed(1)} GFLOP/s.`,
    `Step: ${ms(r.step)} ms for ${(r.stepFlops / 1e9).toFixed(3)} GFLOP of matmuls, ${pct(r.stepFlops, r.step.min)} of the peak at its min (${pct(r.stepFlops, r.step.median)} at its median); at the peak rate the matmuls would take ${fmt(atPeak(r.stepFlops))} ms.`,
    `CPU time: step ${ms(r.cpu.step)} ms, 1024³ matmul ${ms(r.cpu.peak)} ms: the step at ${((100 * r.stepFlops) / r.cpu.step.median / (2 * 1024 ** 3 / r.cpu.peak.min)).toFixed(0)}% of the peak (medians against the matmul's min; ${((100 * r.stepFlops) / r.cpu.step.median / (2 * 1024 ** 3 / r.cpu.peak.median)).toFixed(0)}% median against median).`,
    `The step's kernels, each at its min: ${fmt(r.kernels.min)} ms (${pct(r.stepFlops, r.kernels.min)} of the peak).`,
    "",
    "| matmul | scope | at peak rate | in the step | alone, fresh operands | alone, operands repeated |",
    "|---|---|---|---|---|---|",
    ...r.gemms.map((g) => `| ${g.shape} | ${g.scope || "–"} | ${fmt(atPeak(g.flops))} | ${ms(g.inStep)} | ${ms(g.aloneFresh)} | ${ms(g.aloneRepeated)} |`),
    `| all ${r.gemms.length} | | ${fmt(atPeak(gemmFlops))} | ${ms(sum(r.gemms, (g) => g.inStep))} | ${ms(sum(r.gemms, (g) => g.aloneFresh))} | ${ms(sum(r.gemms, (g) => g.aloneRepeated))} |`,
    "",
    "| other kernels | count | ms |",
    "|---|---|---|",
    ...r.others.map((o) => `| ${o.name} | ${o.count} | ${fmt(o.min)} (${fmt(o.median)}) |`),
  ];
  return lines.join("\n");
}

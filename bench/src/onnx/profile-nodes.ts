import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onnxRuntimeOptions, type LoweringOptions, setOnnxRuntimeOptions } from "@mmx/onnx";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { WORKLOAD_NAMES, type WorkloadName } from "../workloads.js";
import { MODES, type Mode } from "../mmx-step.js";
import { oneOf, parseFlags, parsed, wholeNumber } from "../tool-flags.js";
import { parseLowering, parseSessionConfig } from "./lowering-flags.js";
import { CATEGORIES, categoryOf, type Category } from "./op-categories.js";
import { recordStepPrograms } from "./record-step.js";

/**
 * Where an onnx step's time goes, node by node: `npm run profile:onnx -w @mmx/bench -- [--workload mlp] [--mode manifold]
 * [--runs 50] [--threads 2] [--top 25]` (after building the bench). The workload's mmx step runs on onnx while an executor records each program's ONNX graph
 * and its last inputs; then every program is loaded again in an onnxruntime session with its profiler on and run
 * `--runs` times on those inputs. Prints the per-run time of each operator type and of the slowest nodes (kernel
 * time as onnxruntime's profiler reports it), and the session run time beside their sum (the rest is per-run
 * overhead: input binding, allocation, thread-pool hand-offs). With `--by category`, prints instead the time of each
 * part of the step (conv forward, its two gradients, batch norm, pools, ReLU, dense, layout, the rest: see
 * op-categories.ts): its kernel time per run and its share of the step's CPU time (see reportCategories), the
 * figures bench/torch_op_profile.py prints for PyTorch's step. `--lowering maxPoolGrad=unpool,...` profiles the step lowered with other options.
 */
const FLAGS = {
  workload: oneOf(WORKLOAD_NAMES),
  mode: oneOf(MODES),
  runs: wholeNumber(1),
  threads: wholeNumber(0),
  // 0: every node, in run order.
  top: wholeNumber(0),
  by: oneOf(["node", "category"] as const),
  lowering: parsed("key=value,..", parseLowering),
  session: parsed("key=value,..", parseSessionConfig),
};

const parseArgs = (argv: readonly string[]) =>
  parseFlags(argv, { workload: "mlp" as WorkloadName, mode: "manifold" as Mode, runs: 50, threads: 0, top: 25, by: "node" as "node" | "category", lowering: undefined as LoweringOptions | undefined, session: {} as Record<string, string> }, FLAGS);

interface ProfileEvent {
  cat: string;
  name: string;
  dur: number;
  args?: { op_name?: string; provider?: string };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.threads) setOnnxRuntimeOptions({ intraOpThreads: opts.threads });
  const recorded = await recordStepPrograms(opts.workload, opts.mode, opts.lowering);

  const dir = mkdtempSync(join(tmpdir(), "mmx-onnx-profile-"));
  const ro = onnxRuntimeOptions();
  try {
    for (const [p, rec] of recorded.entries()) {
      if (!rec.inputs) continue;
      const { bytes, inputNames, model } = rec.program.lowered;
      const session = await InferenceSession.create(bytes, {
        executionProviders: ["cpu"],
        graphOptimizationLevel: "all",
        enableCpuMemArena: ro.memoryArena,
        enableMemPattern: ro.memoryArena,
        ...(ro.intraOpThreads ? { intraOpNumThreads: ro.intraOpThreads } : {}),
        extra: { ...opts.session, "session.intra_op.allow_spinning": ro.allowSpinning ? "1" : "0" },
        enableProfiling: true,
        profileFilePrefix: join(dir, `p${p}`),
      });
      const feeds: Record<string, Tensor> = {};
      rec.inputs.forEach((x, i) => (feeds[inputNames[i]!] = new Tensor(x.type as "float32", x.data as Float32Array, x.dims as number[])));
      for (let i = 0; i < 5; i++) await session.run(feeds);
      const wall: number[] = [];
      const cpu: number[] = [];
      for (let i = 0; i < opts.runs; i++) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await session.run(feeds);
        wall.push(performance.now() - t0);
        const c = process.cpuUsage(c0);
        cpu.push((c.user + c.system) / 1000);
      }
      session.endProfiling();
      await session.release();
      const file = readdirSync(dir).find((f) => f.startsWith(`p${p}_`))!;
      const events = JSON.parse(readFileSync(join(dir, file), "utf8")) as ProfileEvent[];
      if (opts.by === "category") reportCategories(p, model.graph.node.length, events, wall, cpu, opts);
      else report(p, model.graph.node.length, events, wall, opts);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(p: number, lowered: number, events: ProfileEvent[], wall: number[], opts: { runs: number; top: number }) {
  const runs = events.filter((e) => e.cat === "Session" && e.name === "model_run");
  const timed = runs.slice(-opts.runs);
  // A run's node events come before its own model_run event: start after the last untimed run's.
  const from = events.indexOf(runs[runs.length - opts.runs - 1]!) + 1;
  const nodes = events.slice(from).filter((e) => e.cat === "Node" && e.name.endsWith("_kernel_time"));
  const byOp = new Map<string, { us: number; n: number }>();
  const byNode = new Map<string, number>();
  for (const e of nodes) {
    const op = e.args?.op_name ?? "?";
    const o = byOp.get(op) ?? { us: 0, n: 0 };
    o.us += e.dur;
    o.n += 1;
    byOp.set(op, o);
    byNode.set(e.name, (byNode.get(e.name) ?? 0) + e.dur);
  }
  const sortedWall = [...wall].sort((a, b) => a - b);
  const kernelMs = [...byOp.values()].reduce((s, o) => s + o.us, 0) / 1000 / opts.runs;
  const runMs = timed.reduce((s, e) => s + e.dur, 0) / 1000 / opts.runs;
  const perRunNodes = nodes.length / opts.runs;
  console.log(`\n## program ${p}: ${lowered} lowered nodes, ${perRunNodes} nodes run after onnxruntime's optimisation`);
  console.log(`wall median ${sortedWall[sortedWall.length >> 1]!.toFixed(2)} ms, model_run mean ${runMs.toFixed(2)} ms, kernels ${kernelMs.toFixed(2)} ms`);
  console.log("| op | per run (ms) | nodes |\n|---|---|---|");
  for (const [op, o] of [...byOp].sort((a, b) => b[1].us - a[1].us)) console.log(`| ${op} | ${(o.us / 1000 / opts.runs).toFixed(3)} | ${o.n / opts.runs} |`);
  console.log(`slowest nodes:`);
  const order = opts.top > 0 ? [...byNode].sort((a, b) => b[1] - a[1]).slice(0, opts.top) : [...byNode];
  for (const [name, us] of order) console.log(`  ${(us / 1000 / opts.runs).toFixed(3)} ms  ${name.replace(/_kernel_time$/, "")}`);
}

await main();

/**
 * Per category: the minimum and the median over runs of the category's kernel time in the run, its share of
 * all kernel time over the runs, and that share of the least CPU time a run took (on one intra-op thread, an
 * estimate of the category's CPU time that a loaded machine, which inflates wall times unevenly, hardly moves).
 */
function reportCategories(p: number, lowered: number, events: ProfileEvent[], wall: number[], cpu: number[], opts: { runs: number }) {
  const perRun: Map<Category, number>[] = [];
  let current = new Map<Category, number>();
  for (const e of events) {
    if (e.cat === "Node" && e.name.endsWith("_kernel_time")) {
      const c = categoryOf(e.name.replace(/_kernel_time$/, ""), e.args?.op_name ?? "");
      current.set(c, (current.get(c) ?? 0) + e.dur / 1000);
    } else if (e.cat === "Session" && e.name === "model_run") {
      perRun.push(current);
      current = new Map();
    }
  }
  const timed = perRun.slice(-opts.runs);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const cpuMin = Math.min(...cpu);
  const total = timed.reduce((s, m) => s + [...m.values()].reduce((a, x) => a + x, 0), 0);
  console.log(`\n## program ${p}: ${lowered} lowered nodes; ${opts.runs} runs: CPU time min ${cpuMin.toFixed(2)} ms, median ${median(cpu).toFixed(2)} ms; wall median ${median(wall).toFixed(2)} ms`);
  console.log("| part of the step | kernel ms (min) | kernel ms (median) | share of kernel time | share x CPU min (ms) |\n|---|---|---|---|---|");
  for (const c of CATEGORIES) {
    const xs = timed.map((m) => m.get(c) ?? 0);
    if (xs.every((x) => x === 0)) continue;
    const share = xs.reduce((a, x) => a + x, 0) / total;
    console.log(`| ${c} | ${Math.min(...xs).toFixed(2)} | ${median(xs).toFixed(2)} | ${(100 * share).toFixed(1)}% | ${(share * cpuMin).toFixed(2)} |`);
  }
}

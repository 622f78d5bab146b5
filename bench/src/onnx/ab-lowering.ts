import { DEFAULT_LOWERING_OPTIONS, lowerToOnnx } from "@mmx/onnx";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { parseLowering, parseSessionConfig } from "./lowering-flags.js";
import { WORKLOAD_NAMES, type WorkloadName } from "../workloads.js";
import { MODES, type Mode } from "../mmx-step.js";
import { finiteNumber, oneOf, parseFlags, parsed, wholeNumber } from "../tool-flags.js";
import { recordStepPrograms } from "./record-step.js";

/**
 * Two lowerings of a workload's step against each other, in one process on the same inputs:
 * `npm run ab:onnx -w @mmx/bench -- --workload cnn --mode plain --a reluGrad=where --b reluGrad=sign
 * [--session-b key=value] [--rounds 40] [--threads 1]` (after building the bench); `--session-b` gives B's session
 * onnxruntime config entries of its own (e.g. optimization.disable_specified_optimizers=NchwcTransformer). Each program of the step is traced once,
 * lowered with option set A and with option set B, and both graphs run in their own onnxruntime session
 * (one intra-op thread unless told otherwise, no spinning) in interleaved rounds (A B B A ...), so that a
 * changing machine load falls on both alike. Time is the process's CPU time per run (user + system), which
 * a loaded machine inflates far less than wall time. Before timing, B's outputs are checked against A's.
 */
const FLAGS = {
  workload: oneOf(WORKLOAD_NAMES),
  mode: oneOf(MODES),
  a: parsed("key=value,..", parseLowering),
  b: parsed("key=value,..", parseLowering),
  sessionB: parsed("key=value,..", parseSessionConfig),
  rounds: wholeNumber(1),
  threads: wholeNumber(1),
  tolerance: finiteNumber,
};

const parseArgs = (argv: readonly string[]) =>
  parseFlags(argv, { workload: "cnn" as WorkloadName, mode: "plain" as Mode, a: DEFAULT_LOWERING_OPTIONS, b: DEFAULT_LOWERING_OPTIONS, sessionB: {} as Record<string, string>, rounds: 40, threads: 1, tolerance: 1e-3 }, FLAGS);

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** The largest difference between two runs' outputs, relative to each output's largest magnitude. */
function largestDifference(a: InferenceSession.ReturnType, b: InferenceSession.ReturnType, names: readonly string[]): { name: string; diff: number } {
  let worst = { name: "", diff: 0 };
  for (const name of names) {
    const x = a[name]!.data as Float32Array;
    const y = b[name]!.data as Float32Array;
    let scale = 0;
    for (let i = 0; i < x.length; i++) scale = Math.max(scale, Math.abs(Number(x[i])));
    for (let i = 0; i < x.length; i++) {
      const d = Math.abs(Number(x[i]) - Number(y[i])) / Math.max(scale, 1e-30);
      const diff = Number.isNaN(d) ? (Number.isNaN(Number(x[i])) && Number.isNaN(Number(y[i])) ? 0 : Infinity) : d;
      if (diff > worst.diff) worst = { name, diff };
    }
  }
  return worst;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const recorded = await recordStepPrograms(opts.workload, opts.mode);

  const session = (bytes: Uint8Array, config: Record<string, string>) =>
    InferenceSession.create(bytes, {
      executionProviders: ["cpu"],
      graphOptimizationLevel: "all",
      intraOpNumThreads: opts.threads,
      extra: { ...config, "session.intra_op.allow_spinning": "0" },
    });
  console.log(`${opts.workload} ${opts.mode}, ${opts.threads} intra-op thread(s), ${opts.rounds} rounds\nA: ${JSON.stringify(opts.a)}\nB: ${JSON.stringify(opts.b)} ${JSON.stringify(opts.sessionB)}`);
  console.log("| program | nodes A / B | CPU ms A (min, median) | CPU ms B (min, median) | B / A (median of paired) | largest output difference |\n|---|---|---|---|---|---|");
  for (const [p, rec] of recorded.entries()) {
    if (!rec.inputs) continue;
    const lowered = [opts.a, opts.b].map((lowering) => lowerToOnnx(rec.closed, { lowering }));
    const sessions = await Promise.all(lowered.map((l, k) => session(l.bytes, k === 1 ? opts.sessionB : {})));
    const feeds: Record<string, Tensor> = {};
    rec.inputs.forEach((x, i) => (feeds[lowered[0]!.inputNames[i]!] = new Tensor(x.type as "float32", x.data as Float32Array, x.dims as number[])));
    const first = await Promise.all(sessions.map((s) => s.run(feeds)));
    const floatOutputs = lowered[0]!.outputNames.filter((_, i) => lowered[0]!.outAvals[i]!.dtype === "float32");
    const worst = largestDifference(first[0]!, first[1]!, floatOutputs);
    if (worst.diff > opts.tolerance) throw new Error(`program ${p}: B's output ${worst.name} differs from A's by ${worst.diff.toExponential(2)} of its scale (--tolerance ${opts.tolerance})`);
    for (let i = 0; i < 2; i++) for (const s of sessions) await s.run(feeds);
    const times: [number[], number[]] = [[], []];
    for (let r = 0; r < opts.rounds; r++) {
      for (const k of r % 2 === 0 ? [0, 1] : [1, 0]) {
        const t0 = cpuMs();
        await sessions[k]!.run(feeds);
        times[k]!.push(cpuMs() - t0);
      }
    }
    await Promise.all(sessions.map((s) => s.release()));
    const ratio = median(times[1].map((t, i) => t / times[0][i]!));
    const cell = (ts: number[]) => `${Math.min(...ts).toFixed(2)}, ${median(ts).toFixed(2)}`;
    console.log(`| ${p} | ${lowered[0]!.model.graph.node.length} / ${lowered[1]!.model.graph.node.length} | ${cell(times[0])} | ${cell(times[1])} | ${ratio.toFixed(3)} | ${worst.diff.toExponential(1)} |`);
  }
}

await main();

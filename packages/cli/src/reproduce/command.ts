import { writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg } from "node:os";
import { join } from "node:path";
import { FASHION_MNIST_CLASSES } from "@mmx/data";
import { formatOptions, getFlag, getList, getNumber, getString, parseArgs, type OptionSpec } from "../args.js";
import { type BackendChoice, resolveBackend, setRunThreads, threadsPerRun, useBackend } from "../backends.js";
import type { CliIo } from "../commands.js";
import { METHOD_REGISTRY, METHODS } from "../methods.js";
import { eligibleSetPlans, methodPlans, PAPER_METHODS, planTitle } from "./method-plans.js";
import type { LossName } from "../config.js";
import { UsageError } from "../errors.js";
import { checkOutFolder, makeFolder } from "../run-folder.js";
import { formatDuration, Progress } from "../progress.js";
import { checkPlans, heldOutSize, planClasses, planJobs, runAll, workerCount, type RunOutcome } from "./pipeline.js";
import { cpuSeconds, probeCosts } from "./time-probe.js";
import { makespan, predictionLine, runningTimeLine, runSeconds, type CostModel, type RunWork } from "./time-model.js";
import { findPreset, REGIME_NAMES, withEpochs, type DatasetPlan, type Preset } from "./presets.js";
import { findings, flatteningLines, formatTable, summarize } from "./table.js";
import { writePlots } from "./plots.js";
import { overlapLines } from "./overlap.js";
import { mapCommand } from "./map-command.js";
import { checkVmapSeeds } from "./seed-groups.js";
import { mixFlagsText, REPRODUCE_MIX_OPTIONS, withMixFlags } from "./mix-flags.js";
import { MAP_OPTIONS, rejectMapFlags } from "./map-grid.js";

export const REPRODUCE_OPTIONS: readonly OptionSpec[] = [
  { name: "regime", kind: "string", choices: REGIME_NAMES, help: "standard: spirals and 10,000 Fashion-MNIST images, briefly; small-data: 3,000 Fashion-MNIST images for 60 epochs, where no mixup overfits; small-data-cnn: the same with a small CNN and soft-target cross-entropy, 45 epochs; map: a grid of training-set sizes x epochs (--sizes, --epochs-grid), resumable", defaultText: "standard" },
  { name: "full", kind: "flag", help: "the longer preset of the standard regime: more data, more epochs (tens of minutes)" },
  { name: "preset", kind: "string", choices: ["tiny", "default", "full"], help: "the size of the demo (tiny: seconds, for smoke tests; default: standard and small-data in under 10 minutes on 2 cores, small-data-cnn in under 15; each run prints its predicted time first; full: standard regime only)", defaultText: "default" },
  { name: "epochs", kind: "int", placeholder: "N", help: "train every dataset for N epochs instead of the preset's (the cosine schedule spans the N epochs)", defaultText: "the preset's" },
  { name: "methods", kind: "list", placeholder: "M,M", help: `the methods compared, each at its default α (mmx train --method's): ${METHODS.map((m) => (METHOD_REGISTRY[m].alpha > 0 ? `${m} (α ${METHOD_REGISTRY[m].alpha})` : m)).join(", ")}`, defaultText: "none,input,manifold" },
  { name: "eligible-sets", kind: "string", placeholder: "S;S", help: "compare manifold mixup's eligible sets instead of methods, as the paper's Table 5: boundary sets separated by ';', e.g. '{};0;0,1;0,1,2;1,2' ({} is no mixup)" },
  { name: "out", kind: "string", placeholder: "DIR", help: "where runs, summary and plots go", defaultText: "runs/reproduce, or runs/reproduce-small-data" },
  { name: "backend", kind: "string", placeholder: "NAME", help: "a backend from availableBackends()", defaultText: "the fastest present: onnx where @mmx/onnx runs, else wasm" },
  { name: "jobs", kind: "int", placeholder: "N", help: "runs trained at once, each in a worker thread (wasm uses one core each; onnx gets cores / N intra-op threads each)", defaultText: "2 (small-data-cnn: 3), or 1 on a 1-core machine", min: 1 },
  ...REPRODUCE_MIX_OPTIONS,
  { name: "vmap-seeds", kind: "flag", help: "train the seeds of each dataset and method as one vmapped program (each seed keeps its own init, data order and λ; all mix at the first seed's layer draw)" },
  { name: "quiet", kind: "flag", help: "no progress output" },
  ...MAP_OPTIONS,
];

/** Two runs at once use the two cores of a small machine (wasm trains on one core per thread). */
export const defaultJobs = (): number => Math.min(2, availableParallelism());

export interface ReproduceReport {
  preset: Preset["name"];
  regime: Preset["regime"];
  /** The methods (or eligible sets) compared. */
  methods: Preset["methods"];
  /** `--epochs`, when it replaced the preset's epoch counts. */
  epochs?: number;
  backend: string;
  /** Why that backend, and how many threads each run had on it. */
  backendReason: string;
  /** Runs trained at once. */
  jobs: number;
  seconds: number;
  /** The wall time predicted before training on idle cores (absent with --vmap-seeds), and the line that said so. */
  predictedSeconds?: number;
  prediction?: string;
  /** The prediction beside the measured time, CPU-seconds and load average. */
  runningTime: string;
  outcomes: RunOutcome[];
  table: string;
  findings: string[];
  plots: string[];
}

/**
 * Runs the demo and writes `summary.md`, `summary.json` and `plots/` under `out`. Without `backend`,
 * it trains on the fastest backend present (see `resolveBackend`) and says which, and why. On onnx it
 * sets onnxruntime's intra-op threads to each run's share of the cores (`threadsPerRun`), in this
 * thread too: programs compiled afterwards in this process keep that setting.
 */
export async function reproduce(opts: { preset: Preset; out: string; backend?: string; progress?: Progress; jobs?: number; vmapSeeds?: boolean }): Promise<ReproduceReport> {
  const started = performance.now();
  const workers = opts.vmapSeeds ? 1 : workerCount(opts.preset, opts.jobs ?? 1);
  const threads = threadsPerRun(workers);
  // onnx's threads are set before it is probed, so that its description says how the runs use it.
  const threadNote = opts.backend === undefined || opts.backend === "onnx" ? await setRunThreads("onnx", threads) : undefined;
  const choice: BackendChoice = await resolveBackend(opts.backend);
  // Checked here, before any worker starts: an unknown or unavailable backend fails once, clearly.
  await useBackend(choice.name);
  const backendReason = choice.name === "onnx" && threadNote ? `${choice.reason}; ${threadNote}` : choice.reason;
  opts.progress?.log(`backend ${choice.name}: ${backendReason}`);
  const loadAtStart = loadavg()[0]!;
  const cpuAtStart = cpuSeconds();
  let predicted: { seconds: number; line: string } | undefined;
  if (!opts.vmapSeeds) {
    opts.progress?.log("timing probe: a few steps of each dataset's model, to predict the running time…");
    predicted = await predictRunningTime(opts.preset, choice.name, workers);
    opts.progress?.log(predicted.line);
  }
  const outcomes = await runAll({ ...opts, backend: choice.name, threads });
  const rows = summarize(outcomes);
  const lines = [...findings(rows), ...overlapLines(rows), ...flatteningLines(outcomes)];
  opts.progress?.log("writing plots…");
  const plots = await writePlots(join(opts.out, "plots"), outcomes, { spirals: ["arm 0", "arm 1"], "fashion-mnist": FASHION_MNIST_CLASSES });
  const seconds = (performance.now() - started) / 1000;
  const runningTime = runningTimeLine({ ...(predicted ? { predictedSeconds: predicted.seconds } : {}), wallSeconds: seconds, cpuSeconds: cpuSeconds() - cpuAtStart, load: [loadAtStart, loadavg()[0]!] });
  const report: ReproduceReport = {
    preset: opts.preset.name,
    regime: opts.preset.regime,
    methods: opts.preset.methods,
    ...(opts.preset.epochsOverride ? { epochs: opts.preset.epochsOverride } : {}),
    backend: choice.name,
    backendReason,
    jobs: workers,
    seconds,
    ...(predicted ? { predictedSeconds: predicted.seconds, prediction: predicted.line } : {}),
    runningTime,
    outcomes,
    table: formatTable(rows, "text"),
    findings: lines,
    plots,
  };
  writeFileSync(join(opts.out, "summary.json"), `${JSON.stringify({ ...report, table: undefined, rows, machine: machine() }, null, 1)}\n`);
  writeFileSync(join(opts.out, "summary.md"), `${describe(opts.preset, report)}\n\n${runningTime}\n\n${formatTable(rows, "markdown")}\n\n${lines.map((l) => `- ${l}`).join("\n")}\n`);
  return report;
}

/** What a run of `plan` does besides training: the work the prediction counts. */
export function runWork(plan: DatasetPlan): RunWork {
  return {
    trainSize: plan.trainSize,
    batch: plan.batch,
    epochs: plan.epochs,
    testSize: plan.testSize,
    ...(plan.evalEvery ? { evalEvery: plan.evalEvery } : {}),
    // The temperature's test pass and the representations of the spectra.
    extraTestPasses: 2,
    heldOut: heldOutSize(plan),
    attacked: plan.testSize,
    spectrumClasses: planClasses(plan),
  };
}

/** Probes each dataset's costs here, then predicts the wall time of all the preset's runs on this machine's cores, idle. */
async function predictRunningTime(preset: Preset, backend: string, workers: number): Promise<{ seconds: number; line: string }> {
  const costs = new Map<string, CostModel>();
  for (const plan of preset.plans) costs.set(plan.dataset, await probeCosts(plan, preset.methods, backend));
  const runs = planJobs(preset).map((j) => runSeconds(runWork(j.plan), costs.get(j.plan.dataset)!));
  const cores = availableParallelism();
  const seconds = makespan(runs, workers, cores);
  const cpu = runs.reduce((a, b) => a + b, 0);
  // One cost model per dataset: the line shows the costliest dataset's (the one that sets the time).
  const shown = [...costs.values()].reduce((a, b) => (b.stepSeconds > a.stepSeconds ? b : a));
  return { seconds, line: predictionLine({ runs: runs.length, cpuSeconds: cpu, wallSeconds: seconds, workers, cores, cost: shown }) };
}

function machine(): { cpus: number; cpu: string; node: string } {
  const c = cpus();
  return { cpus: c.length, cpu: c[0]?.model ?? "unknown", node: process.version };
}

const LOSS_TEXT: Readonly<Record<LossName, string>> = { bce: "BCE-on-softmax", ce: "soft-target cross-entropy" };
const evalNote = (preset: Preset) => preset.plans.filter((p) => (p.evalEvery ?? 1) > 1).map((p) => ` ${p.dataset}'s test set evaluated every ${p.evalEvery} epochs and after the last;`).join("");

/** One paragraph saying what was run: the same text heads the table on stdout and in summary.md. */
export function describe(preset: Preset, report: { backend: string; backendReason?: string; seconds: number; jobs: number }): string {
  const plans = preset.plans.map((p) => `${p.dataset} (${p.model}${p.hidden ? ` ${p.hidden.join("-")}` : ""}, ${p.trainSize} train / ${p.testSize} test ${p.dataset === "spirals" ? "points" : "images"}, ${p.epochs} epochs, batch ${p.batch}, SGD lr ${p.lr} ${p.schedule}, FGSM ε=${p.fgsmEps})`);
  return [
    `mmx reproduce ${preset.regime === "standard" ? "" : `--regime ${preset.regime} `}--preset ${preset.name}${preset.epochsOverride ? ` --epochs ${preset.epochsOverride}` : ""}${comparisonFlag(preset)}${mixFlagsText(preset.methods)}: ${preset.methods.map(planTitle).join(" / ")} on ${plans.join(" and ")};`,
    `seeds ${preset.seeds.join(", ")}; ${[...new Set(preset.plans.map((p) => LOSS_TEXT[p.loss ?? "bce"]))].join(" / ")} training loss, Nesterov momentum 0.9, weight decay 1e-4; ${preset.methods.some((m) => m.layers) ? "manifold mixup mixes at each eligible set given (0 = the input)" : "manifold mixup mixes at the model's mixing set (input and hidden layers)"};${evalNote(preset)}`,
    `backend ${report.backend}${report.backendReason ? ` (${report.backendReason})` : ""}, ${report.jobs} run${report.jobs > 1 ? "s" : ""} at a time; ${formatDuration(report.seconds)} in all. Metrics are the last epoch's (no selection on the test set), mean ± std over the seeds.`,
  ].join(" ");
}

/** The flag that chose the compared methods, as it would be typed again ("" for the paper's three). */
function comparisonFlag(preset: Preset): string {
  if (preset.methods.some((m) => m.layers)) return ` --eligible-sets "${preset.methods.map((m) => (m.layers ? m.layers.join(",") : "{}")).join(";")}"`;
  const names = preset.methods.map((m) => m.method);
  return names.join() === PAPER_METHODS.map((m) => m.method).join() ? "" : ` --methods ${names.join(",")}`;
}

export async function reproduceCommand(argv: readonly string[], io: CliIo): Promise<void> {
  const args = parseArgs(argv, REPRODUCE_OPTIONS, "reproduce");
  if (args.help) return io.stdout(`mmx reproduce: the paper's comparison (no / input / manifold mixup) on spirals and Fashion-MNIST (or, --regime small-data / small-data-cnn, on 3,000 Fashion-MNIST images with an MLP / a small CNN), 3 seeds: a table and plots; --regime map: mixup − no mixup over a grid of training-set sizes and epochs\n\n${formatOptions(REPRODUCE_OPTIONS)}\n`);
  if (getString(args, "regime") === "map") return mapCommand(args, io, defaultJobs());
  rejectMapFlags(args, getString(args, "regime") ?? "standard");
  const named = getString(args, "preset");
  if (named && getFlag(args, "full") && named !== "full") throw new UsageError(`mmx reproduce: --full and --preset ${named} disagree; give one`);
  const regime = getString(args, "regime") ?? "standard";
  const found = findPreset(regime, getFlag(args, "full") ? "full" : (named ?? "default"));
  const epochs = getNumber(args, "epochs");
  const methods = getList(args, "methods");
  const sets = getString(args, "eligible-sets");
  if (methods && sets !== undefined) throw new UsageError("mmx reproduce: give --methods or --eligible-sets, not both (an eligible-set comparison is of manifold mixup; {} in it is no mixup)");
  const plans = methods ? methodPlans(methods) : sets !== undefined ? eligibleSetPlans(sets) : found.methods;
  const compared = { ...found, methods: withMixFlags(args, plans) };
  const preset = epochs === undefined ? compared : withEpochs(compared, epochs);
  checkPlans(preset);
  if (getFlag(args, "vmap-seeds")) checkVmapSeeds(preset);
  const out = getString(args, "out") ?? (regime === "standard" ? "runs/reproduce" : `runs/reproduce-${regime}`);
  checkOutFolder(out);
  makeFolder(out);
  const progress = new Progress(getFlag(args, "quiet") ? null : io.stderr);
  progress.log(`mmx reproduce (${preset.regime === "standard" ? "" : `${preset.regime} regime, `}${preset.name}): ${preset.plans.length * preset.methods.length * preset.seeds.length} runs into ${out}`);
  const jobs = getNumber(args, "jobs") ?? (availableParallelism() > 1 ? (preset.jobs ?? defaultJobs()) : 1);
  if (!(jobs >= 1)) throw new UsageError(`--jobs must be at least 1, got ${jobs}`);
  const backend = getString(args, "backend");
  const report = await reproduce({ preset, out, ...(backend !== undefined ? { backend } : {}), progress, jobs, vmapSeeds: getFlag(args, "vmap-seeds") });
  io.stdout(`\n${describe(preset, report)}\n${report.runningTime}\n\n${report.table}\n\n${report.findings.join("\n")}\n\nplots: ${report.plots.filter((p) => p.endsWith(".png")).join(", ")} (and .svg)\nsummary: ${join(out, "summary.md")}, ${join(out, "summary.json")}\n`);
}

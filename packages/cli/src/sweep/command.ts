import { existsSync, statSync } from "node:fs";
import { calibrationText } from "../calibrate-run.js";
import { availableParallelism } from "node:os";
import { basename, extname } from "node:path";
import { formatOptions, getFlag, getNumber, getString, parseArgs, type OptionSpec } from "../args.js";
import { writeJsonAtomic } from "../atomic-file.js";
import { resolveBackend, useBackend } from "../backends.js";
import type { CliIo } from "../commands.js";
import { UsageError } from "../errors.js";
import { acquireRunLock } from "../run-folder.js";
import { formatDuration, Progress } from "../progress.js";
import { expandCells, type Cell } from "./cells.js";
import { runOnQueue } from "./distributed.js";
import { cellDir, sweepFiles, type SweepManifest } from "./folder.js";
import { parseQueueUrl, probeQueue } from "./queue.js";
import { sweepReport } from "./report.js";
import { readCellResult, type CellResult } from "./run-cell.js";
import { runCells } from "./run-cells.js";
import { cellRunner } from "./runner.js";
import { checkSpec, fieldFromFlag, FLAG_SHAPES, readSpecFile, SPEC_FIELDS, type SweepSpec } from "./spec.js";
import { SweepStatus } from "./status.js";
import { SweepFailed } from "./sweep-failed.js";

const kebab = (field: string) => field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

const AXIS_HELP: { readonly [K in keyof SweepSpec]-?: string } = {
  datasets: "datasets (spirals, fashion-mnist, mnist, cifar10)",
  models: "models (default: each dataset's)",
  methods: "none, input, manifold",
  alphas: "α of the mixup methods (default: 1 input, 2 manifold)",
  eligible: "manifold mixup's eligible sets, ';' between sets: \"input,hidden1;bottleneck\" (default: the model's mixing set)",
  seeds: "seeds",
  trainSizes: "training examples (spirals: points; images: the first N)",
  epochs: "epochs (default: mmx train's per dataset, 100 on the spirals, 10 on images)",
  testSize: "test examples (spirals: points; images: the first N)",
  batch: "batch size",
  lr: "SGD learning rate",
  hidden: "widths, as mmx train --hidden",
  loss: "bce or ce",
  schedule: "constant or cosine",
  momentum: "SGD momentum",
  wd: "weight decay",
  backend: "the backend every cell trains on (default: the fastest here)",
  fgsmEps: "FGSM's L∞ radius in each cell's evaluation (default: 0.05 spirals, 0.03 images)",
  mixFlags: "mmx train's mixing flags without dashes, given to the cells whose method they change: ways=3,no-self-pairs,bn-policy=clean",
};

export const SWEEP_OPTIONS: readonly OptionSpec[] = [
  ...SPEC_FIELDS.map((f): OptionSpec => ({ name: kebab(f), kind: "string", placeholder: { list: "A,B", sets: "A,B;C", value: "X" }[FLAG_SHAPES[f]], help: AXIS_HELP[f] })),
  { name: "out", kind: "string", placeholder: "DIR", help: "the sweep folder (sweep.json, status.json, cells/<id>/)", defaultText: "runs/sweep-<spec name>" },
  { name: "jobs", kind: "int", placeholder: "N", help: "without --queue: cells trained at once, each in a worker thread", defaultText: "the cores" },
  { name: "queue", kind: "string", placeholder: "URL", help: "redis://host:port: enqueue the cells in BullMQ for mmx worker processes instead" },
  { name: "attempts", kind: "int", placeholder: "N", help: "with --queue: attempts per cell before it counts as failed", defaultText: "3" },
  { name: "queue-patience", kind: "int", placeholder: "S", help: "with --queue: seconds to wait for a queue that stopped answering", defaultText: "300" },
  { name: "quiet", kind: "flag", help: "no progress output" },
];

const HELP = `mmx sweep [SPEC.json] [--axis A,B ...]: a grid of mmx train runs and their evaluations, resumable
mmx sweep report DIR: mean ± std, 95% intervals, rankings and plots of a sweep folder

A spec is a JSON object of axes (lists) and shared settings, e.g.
  {"datasets": ["spirals"], "methods": ["none", "input", "manifold"], "alphas": [0.5, 1, 2],
   "eligible": [["input", "hidden1"], ["bottleneck"]], "seeds": [0, 1, 2], "trainSizes": [500], "epochs": [20]}
Flags give the same fields (and override the file's).`;

export async function sweepCommand(argv: readonly string[], io: CliIo): Promise<void> {
  if (argv[0] === "report") return reportCommand(argv.slice(1), io);
  const args = parseArgs(argv, SWEEP_OPTIONS, "sweep", { maxPositionals: 1 });
  if (args.help) return io.stdout(`${HELP}\n\n${formatOptions(SWEEP_OPTIONS)}\n`);
  const specPath = args.positionals[0];
  const raw: Record<string, unknown> = {};
  const fromFlag = new Set<string>();
  if (specPath !== undefined) {
    // Read and check the file on its own first, so that its errors name the file.
    Object.assign(raw, readSpecFile(specPath));
  }
  for (const field of SPEC_FIELDS) {
    const given = getString(args, kebab(field));
    if (given === undefined) continue;
    raw[field] = fieldFromFlag(field, given);
    fromFlag.add(field);
  }
  const where = specPath ?? "mmx sweep";
  const spec = checkSpec(raw, where, (f) => (fromFlag.has(f) ? `mmx sweep: --${kebab(f)}` : `${where}: ${f}`));

  const queueText = getString(args, "queue");
  const queue = queueText === undefined ? undefined : parseQueueUrl(queueText);
  for (const o of ["attempts", "queue-patience"]) if (!queue && args.values[o] !== undefined) throw new UsageError(`mmx sweep: --${o} applies with --queue only`);
  if (queue && args.values.jobs !== undefined) throw new UsageError("mmx sweep: --jobs applies without --queue; with a queue, each mmx worker takes --jobs");
  const jobs = getNumber(args, "jobs") ?? availableParallelism();
  if (!(jobs >= 1)) throw new UsageError(`mmx sweep: --jobs must be at least 1, got ${jobs}`);
  const attempts = getNumber(args, "attempts") ?? 3;
  if (!(attempts >= 1)) throw new UsageError(`mmx sweep: --attempts must be at least 1, got ${attempts}`);
  const patience = getNumber(args, "queue-patience") ?? 300;
  if (!(patience >= 1)) throw new UsageError(`mmx sweep: --queue-patience must be at least 1, got ${patience}`);

  const progress = new Progress(getFlag(args, "quiet") ? null : io.stderr);
  const choice = await resolveBackend(spec.backend);
  // Embedded: the backend must run here. Queued: it must run on the workers (a worker that lacks it fails the cell, naming it).
  if (!queue) await useBackend(choice.name);
  const cells = expandCells(spec, choice.name, where);
  if (queue) await probeQueue(queue);

  const out = getString(args, "out") ?? (specPath ? `runs/sweep-${basename(specPath, extname(specPath))}` : "runs/sweep");
  const files = sweepFiles(out);
  const lock = acquireRunLock(out, "mmx sweep", (line) => io.stderr.write(`${line}\n`), basename(files.lock));
  try {
    await runSweep({ out, files, spec, backend: choice, cells, queue, jobs, attempts, patience, progress, io });
  } finally {
    lock.release();
  }
}

interface SweepRun {
  out: string;
  files: ReturnType<typeof sweepFiles>;
  spec: SweepSpec;
  backend: { name: string; reason: string };
  cells: Cell[];
  queue: string | undefined;
  jobs: number;
  attempts: number;
  patience: number;
  progress: Progress;
  io: CliIo;
}

async function runSweep({ out, files, spec, backend: choice, cells, queue, jobs, attempts, patience, progress, io }: SweepRun): Promise<void> {
  const log = (line: string) => progress.log(line);
  const manifest: SweepManifest = { spec, backend: choice.name, cells };
  writeJsonAtomic(files.manifest, manifest);

  const status = new SweepStatus(cells, files.status, progress, queue ? 1 : jobs);
  for (const c of cells) if (readCellResult(cellDir(out, c.id), c.id)) status.reuse(c.id);
  const pending = cells.filter((c) => status.state(c.id) !== "done");
  const { reused } = status.counts();
  log(`sweep: ${cells.length} cells into ${out} (${reused} already finished, reused); backend ${choice.name}: ${choice.reason}`);
  status.write(true);

  const started = performance.now();
  let finishedNow = 0;
  const report = (cell: Cell, r: CellResult, seconds: number, worker?: string) => {
    finishedNow++;
    const { done, total } = status.counts();
    log(`[${done}/${total}] ${cell.label}: test error ${(100 * r.final.testError).toFixed(2)}%  NLL ${r.final.testNll.toFixed(3)}  ECE ${(100 * r.final.testEce).toFixed(2)}%${calibrationText(r.calibrated)}  FGSM ${(100 * r.fgsm.adversarial).toFixed(1)}%  (${formatDuration(seconds)}${worker ? ` on ${worker}` : ""})`);
    status.show();
  };
  if (pending.length > 0) {
    if (queue) {
      await runOnQueue({ url: queue, cells: pending, out, status, attempts, patienceSeconds: patience, log, onResult: report });
    } else {
      const runner = await cellRunner(Math.min(jobs, pending.length), choice.name, log);
      log(`training ${runner.description}`);
      await runCells(runner, pending, { out, status, log, onFinished: report });
    }
  }
  status.write(true);
  progress.done();
  const c = status.counts();
  const summary = await sweepReport(out, { plots: false });
  io.stdout(`\n${summary.table}\n\n${summary.rankings.join("\n")}${summary.rankings.length ? "\n" : ""}\n${c.done} of ${c.total} cells done (${c.reused} reused, ${finishedNow} new, ${formatDuration((performance.now() - started) / 1000)}); status: ${files.status}; plots: mmx sweep report ${out}\n`);
  if (c.failed > 0) {
    throw new SweepFailed(`${c.failed} of ${c.total} cells failed (see ${files.status}; running the same sweep again retries them): ${status.failures().slice(0, 3).join("; ")}`);
  }
}

const REPORT_OPTIONS: readonly OptionSpec[] = [{ name: "no-plots", kind: "flag", help: "tables only (plots take a second or two)" }];

async function reportCommand(argv: readonly string[], io: CliIo): Promise<void> {
  const args = parseArgs(argv, REPORT_OPTIONS, "sweep report", { maxPositionals: 1 });
  if (args.help) return io.stdout(`mmx sweep report DIR: per group of cells (all but the seed equal), mean ± std and 95% intervals, rankings, plots\n\n${formatOptions(REPORT_OPTIONS)}\n`);
  const out = args.positionals[0];
  if (!out) throw new UsageError("mmx sweep report needs the sweep folder: mmx sweep report runs/sweep-NAME");
  if (!existsSync(out)) throw new UsageError(`mmx sweep report: no sweep folder at ${out}`);
  if (!statSync(out).isDirectory()) throw new UsageError(`mmx sweep report: ${out} is a file, not a sweep folder`);
  const r = await sweepReport(out, { plots: !getFlag(args, "no-plots") });
  io.stdout(`${r.table}\n\n${r.rankings.join("\n")}${r.rankings.length ? "\n" : ""}${r.plots.length ? `\nplots: ${r.plots.filter((p) => p.endsWith(".png")).join(", ")} (and .svg)\n` : ""}report: ${out}/report.md, ${out}/report.json\n`);
}

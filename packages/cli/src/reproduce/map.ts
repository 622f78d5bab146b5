import { mkdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { writeJsonAtomic } from "../atomic-file.js";
import { availableParallelism } from "node:os";
import { resolveBackend, setRunThreads, threadsPerRun, useBackend } from "../backends.js";
import { CALIBRATION_EXAMPLES, calibrationText } from "../calibrate-run.js";
import { UsageError } from "../errors.js";
import { formatDuration, type Progress } from "../progress.js";
import { acquireRunLock } from "../run-folder.js";
import { expandCells, type Cell } from "../sweep/cells.js";
import { cellDir, finishedResults, sweepFiles, type SweepManifest } from "../sweep/folder.js";
import { readCellResult } from "../sweep/run-cell.js";
import { runCells } from "../sweep/run-cells.js";
import { cellRunner } from "../sweep/runner.js";
import type { SweepSpec } from "../sweep/spec.js";
import { SweepStatus } from "../sweep/status.js";
import { SweepFailed } from "../sweep/sweep-failed.js";
import { writeChart } from "./render.js";
import type { MapGrid } from "./map-grid.js";
import { mapHeatmapSpec } from "./map-plot.js";
import { formatMap, mapFindings, MAP_METRICS, mapPoints, type MapPoint } from "./map-table.js";
import { METHOD_PLAN, type DatasetPlan } from "./presets.js";
import { probeCosts } from "./time-probe.js";
import { REPRODUCE_MIX_OPTIONS } from "./mix-flags.js";
import { makespan, predictionLine, runSeconds, type RunWork } from "./time-model.js";

const WHERE = "mmx reproduce --regime map";

/**
 * The map as a sweep: Fashion-MNIST, the base plan's model and settings, every size × epochs × method
 * × seed. The paper's α per method (1 input, 2 manifold) is the sweep's default when no α is given.
 */
export function mapSpec(grid: MapGrid): SweepSpec {
  const { plan } = grid;
  return {
    datasets: ["fashion-mnist"],
    models: [plan.model],
    methods: METHOD_PLAN.map((m) => m.method),
    seeds: grid.seeds,
    trainSizes: grid.sizes,
    epochs: grid.epochs,
    testSize: plan.testSize,
    batch: plan.batch,
    lr: plan.lr,
    ...(plan.hidden ? { hidden: plan.hidden } : {}),
    loss: plan.loss ?? "bce",
    schedule: plan.schedule === "multistep" ? "constant" : plan.schedule,
    momentum: 0.9,
    wd: 1e-4,
    fgsmEps: plan.fgsmEps,
  };
}

/** The map's cells: only the last epoch is evaluated on the test set, as the map reads nothing else. */
export function mapCells(grid: MapGrid, backend: string): Cell[] {
  return expandCells(mapSpec(grid), backend, WHERE).map((c) => ({ ...c, evalEvery: c.config.epochs }));
}

export interface MapReport {
  backend: string;
  backendReason: string;
  cells: number;
  reused: number;
  trainedNow: number;
  /** Cells left for a later run (only with `stopAfterCells`). */
  left: number;
  seconds: number;
  points: MapPoint[];
  table: string;
  findings: string[];
  plots: string[];
}

/**
 * Trains the map's cells into `out` (a sweep folder: `mmx sweep report` reads it too) and writes
 * `map.md`, `map.json` and the heatmaps under `plots/`. Finished cells found there are reused, so a run
 * that was stopped continues where it was; a cell stopped mid-training continues from its last
 * checkpoint. `stopAfterCells`: train at most that many cells now, as if interrupted (tests).
 */
export async function runMap(opts: { grid: MapGrid; out: string; backend?: string; jobs: number; progress: Progress; stopAfterCells?: number }): Promise<MapReport> {
  const started = performance.now();
  const log = (line: string) => opts.progress.log(line);
  const choice = await resolveBackend(opts.backend);
  await useBackend(choice.name);
  const cells = mapCells(opts.grid, choice.name);
  const files = sweepFiles(opts.out);
  const lock = acquireRunLock(opts.out, WHERE, log, basename(files.lock));
  try {
    writeJsonAtomic(files.manifest, { spec: mapSpec(opts.grid), backend: choice.name, cells } satisfies SweepManifest);
    const status = new SweepStatus(cells, files.status, opts.progress, opts.jobs);
    for (const c of cells) if (readCellResult(cellDir(opts.out, c.id), c.id)) status.reuse(c.id);
    const pending = cells.filter((c) => status.state(c.id) !== "done");
    const todo = pending.slice(0, opts.stopAfterCells ?? pending.length);
    const { reused } = status.counts();
    log(`map: ${cells.length} cells (${opts.grid.sizes.length} size${opts.grid.sizes.length === 1 ? "" : "s"} × ${opts.grid.epochs.length} epoch count${opts.grid.epochs.length === 1 ? "" : "s"} × 3 methods × ${opts.grid.seeds.length} seed${opts.grid.seeds.length === 1 ? "" : "s"}) into ${opts.out}; ${reused} already finished, reused; backend ${choice.name}: ${choice.reason}`);
    status.write(true);
    let trainedNow = 0;
    if (todo.length > 0) {
      const parallel = Math.min(opts.jobs, todo.length);
      // The probe runs with a cell's share of the cores, as the cells will.
      await setRunThreads(choice.name, threadsPerRun(parallel));
      log("timing probe: a few steps of the cells' model, to predict the running time…");
      const cost = await probeCosts(opts.grid.plan, METHOD_PLAN, choice.name);
      const seconds = todo.map((c) => runSeconds(cellWork(opts.grid.plan, c.config), cost));
      log(predictionLine({ runs: todo.length, noun: "cell", cpuSeconds: seconds.reduce((a, b) => a + b, 0), wallSeconds: makespan(seconds, parallel, availableParallelism()), workers: parallel, cores: availableParallelism(), cost }));
      const runner = await cellRunner(parallel, choice.name, log);
      log(`training ${runner.description}`);
      await runCells(runner, todo, {
        out: opts.out,
        status,
        log,
        onFinished: (cell, r, seconds) => {
          trainedNow++;
          const { done, total } = status.counts();
          log(`[${done}/${total}] ${cell.label}: test error ${(100 * r.final.testError).toFixed(2)}%  NLL ${r.final.testNll.toFixed(3)}${calibrationText(r.calibrated)}  (${formatDuration(seconds)})`);
          status.show();
        },
      });
    }
    status.write(true);
    opts.progress.done();

    const points = mapPoints(finishedResults(opts.out, cells));
    const findings = mapFindings(points);
    const plots = points.length > 0 ? await writeHeatmaps(join(opts.out, "plots"), points) : [];
    const counts = status.counts();
    const report: MapReport = {
      backend: choice.name,
      backendReason: choice.reason,
      cells: cells.length,
      reused,
      trainedNow,
      left: counts.pending,
      seconds: (performance.now() - started) / 1000,
      points,
      table: formatMap(points, "text"),
      findings,
      plots,
    };
    writeJsonAtomic(join(opts.out, "map.json"), { grid: opts.grid, ...report, table: undefined });
    writeFileSync(join(opts.out, "map.md"), `${describeMap(opts.grid, report)}\n\n${formatMap(points, "markdown")}\n\n${findings.map((l) => `- ${l}`).join("\n")}\n`);
    if (counts.failed > 0) throw new SweepFailed(`${counts.failed} of ${counts.total} map cells failed (see ${files.status}; running the same map again retries them): ${status.failures().slice(0, 3).join("; ")}`);
    return report;
  } finally {
    lock.release();
  }
}

/** What a map cell does: its own size and epochs, one test evaluation (after the last epoch), the temperature's passes, the attack. */
export function cellWork(plan: DatasetPlan, config: Cell["config"]): RunWork {
  return {
    trainSize: config.trainLimit ?? plan.trainSize,
    batch: config.batch,
    epochs: config.epochs,
    testSize: plan.testSize,
    evalEvery: config.epochs,
    extraTestPasses: 1,
    heldOut: CALIBRATION_EXAMPLES,
    attacked: plan.testSize,
    // A cell's result has no spectra.
    spectrumClasses: 0,
  };
}

async function writeHeatmaps(dir: string, points: readonly MapPoint[]): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const m of MAP_METRICS) written.push(...(await writeChart(join(dir, `map-${m.key}`), mapHeatmapSpec(points, m.key))));
  return written;
}

/** One paragraph saying what the map is and what of it has finished. */
export function describeMap(grid: MapGrid, r: Pick<MapReport, "backend" | "cells" | "reused" | "trainedNow" | "left" | "seconds">): string {
  const p = grid.plan;
  const model = `${p.model}${p.hidden ? ` ${p.hidden.join("-")}` : ""}`;
  return [
    `mmx reproduce --regime map (the ${grid.base} regime's ${model}, ${p.loss === "ce" ? "soft-target cross-entropy" : "BCE-on-softmax"}, batch ${p.batch}, SGD lr ${p.lr} ${p.schedule}, Nesterov momentum 0.9, weight decay 1e-4; tested on ${p.testSize} Fashion-MNIST test images after the last epoch):`,
    `training images ${grid.sizes.join(" / ")} × epochs ${grid.epochs.join(" / ")} × no / input (α=1) / manifold (α=2) mixup × seeds ${grid.seeds.join(", ")};`,
    `backend ${r.backend}; ${r.cells} cells, ${r.reused} reused from an earlier run, ${r.trainedNow} trained now${r.left > 0 ? `, ${r.left} left for a later run` : ""}; ${formatDuration(r.seconds)}.`,
    "Differences are mean(mixup) − mean(no mixup) over the seeds; negative: mixup better; \"*\": the two seed intervals (mean ± std) are apart.",
  ].join(" ");
}

/** Checked before anything trains: `--epochs` and `--full` mean nothing to the map, nor do the other regimes' comparison flags. */
export function rejectNonMapFlags(values: Readonly<Record<string, unknown>>): void {
  if (values.epochs !== undefined) throw new UsageError("mmx reproduce --regime map: --epochs does not apply; give the map's epoch counts with --epochs-grid");
  if (values.full !== undefined) throw new UsageError("mmx reproduce --regime map: --full does not apply; --sizes, --epochs-grid and --seeds choose the grid");
  const other = ["methods", "eligible-sets", "vmap-seeds", ...REPRODUCE_MIX_OPTIONS.map((o) => o.name)].find((n) => values[n] !== undefined);
  if (other) throw new UsageError(`mmx reproduce --regime map: ${values[other] === false ? `--no-${other}` : `--${other}`} does not apply; the map compares no, input and manifold mixup, each at its defaults (mmx sweep crosses other methods and flags)`);
}

import { join } from "node:path";
import { dispose, np } from "@mmx/core";
import * as nn from "@mmx/nn";
import { attackAccuracy, features, spectraAt, type Trained } from "../analysis.js";
import { useBackend } from "../backends.js";
import type { TrainConfig } from "../config.js";
import { loadData, type DataConfig, type LoadedData } from "../datasets.js";
import { evalForward } from "../evaluate.js";
import { buildModel } from "../models.js";
import { formatDuration, type Progress } from "../progress.js";
import type { EpochRecord } from "../run-files.js";
import { train } from "../train.js";
import type { DatasetPlan, Preset } from "./presets.js";
import { batchCount } from "@mmx/data";

/** What one trained run contributes to the demo's table and plots. */
export interface RunOutcome {
  dataset: DatasetPlan["dataset"];
  method: TrainConfig["method"];
  alpha: number;
  seed: number;
  dir: string;
  /** The last epoch's test metrics (no selection on the test set). */
  final: EpochRecord;
  curve: EpochRecord[];
  fgsm: { eps: number; clean: number; adversarial: number; count: number };
  spectra: { layer: number; layerName: string; largest: number; restSum: number; classes: { label: number; singularValues: number[] }[] };
  trainSeconds: number;
  /** Spirals, first seed: the decision function on a grid and the 2-D bottleneck of the test points. */
  spirals?: {
    grid: { x: number; y: number; p: number }[];
    cell: number;
    points: { x: number; y: number; label: number }[];
    bottleneck: { x: number; y: number; label: number }[];
  };
}

export interface ReproduceOptions {
  preset: Preset;
  out: string;
  backend: string;
  progress?: Progress;
}

/** The training config of one demo run. */
export function runConfig(plan: DatasetPlan, method: Preset["methods"][number], seed: number, backend: string): TrainConfig {
  const { model } = buildModel(plan.model, { name: plan.dataset, exampleShape: plan.dataset === "spirals" ? [2] : [28, 28, 1], classNames: plan.dataset === "spirals" ? ["0", "1"] : globalThis.Array.from({ length: 10 }, String) }, plan.hidden);
  const layers = method.method === "none" ? [] : method.method === "input" ? [0] : [...model.mixupLayers];
  const names = nn.boundaries(model, null, model.inputShape);
  return {
    ...dataConfig(plan),
    model: plan.model,
    ...(plan.hidden ? { hidden: plan.hidden } : {}),
    method: method.method,
    alpha: method.alpha,
    layers,
    layerNames: layers.map((i) => names[i]!.name),
    loss: "bce",
    epochs: plan.epochs,
    batch: plan.batch,
    lr: plan.lr,
    momentum: 0.9,
    nesterov: true,
    weightDecay: 1e-4,
    schedule: plan.schedule,
    milestones: [],
    seed,
    backend,
  };
}

function dataConfig(plan: DatasetPlan): DataConfig {
  return plan.dataset === "spirals"
    ? { dataset: "spirals", spiralsTrain: plan.trainSize, spiralsTest: plan.testSize, spiralsNoise: 0.05, dataSeed: 0 }
    : { dataset: plan.dataset, spiralsTrain: 0, spiralsTest: 0, spiralsNoise: 0, dataSeed: 0, trainLimit: plan.trainSize, testLimit: plan.testSize };
}

/**
 * Trains every (dataset, method, seed) of the preset in turn, into `out/<dataset>-<method>-s<seed>`
 * (run folders that `mmx eval`/`attack`/`spectra` open), and measures each run: final test metrics,
 * FGSM accuracy, per-class spectra, and for the spirals the decision function and the bottleneck.
 */
export async function runAll(opts: ReproduceOptions): Promise<RunOutcome[]> {
  const { preset, progress } = opts;
  await useBackend(opts.backend);
  const jobs = preset.plans.flatMap((plan) => preset.methods.flatMap((m) => preset.seeds.map((seed) => ({ plan, method: m, seed }))));
  const data = new Map<string, LoadedData>();
  const stepsOf = (plan: DatasetPlan) => plan.epochs * batchCount(plan.trainSize, plan.batch, true);
  // Seconds per training step, measured per dataset as runs finish (evaluation and analysis included).
  const costPerStep = new Map<string, number>();
  const started = performance.now();
  const outcomes: RunOutcome[] = [];
  for (const [i, job] of jobs.entries()) {
    const { plan, method, seed } = job;
    let loaded = data.get(plan.dataset);
    if (!loaded) {
      loaded = await loadData(dataConfig(plan), (l) => progress?.log(l));
      data.set(plan.dataset, loaded);
    }
    const config = runConfig(plan, method, seed, opts.backend);
    const dir = join(opts.out, `${plan.dataset}-${method.method}-s${seed}`);
    const runStarted = performance.now();
    const later = jobs.slice(i + 1);
    const eta = (runLeft: number) => runLeft + later.reduce((s, j) => s + stepsOf(j.plan) * estimateCost(costPerStep, j.plan.dataset, plan.dataset, runCost(runStarted, stepsOf(plan), runLeft)), 0);
    const result = await train(config, {
      out: dir,
      overwrite: true,
      data: loaded,
      label: `[${i + 1}/${jobs.length}] ${plan.dataset} ${method.method} s${seed}`,
      ...(progress ? { progress } : {}),
      eta,
    });
    try {
      outcomes.push(await measure(result, plan, dir, seed, preset, seed === preset.seeds[0]));
    } finally {
      dispose([result.params, result.modelState]);
    }
    const seconds = (performance.now() - runStarted) / 1000;
    const perStep = seconds / stepsOf(plan);
    const before = costPerStep.get(plan.dataset);
    costPerStep.set(plan.dataset, before === undefined ? perStep : 0.5 * (before + perStep));
    const o = outcomes[outcomes.length - 1]!;
    progress?.log(
      `[${i + 1}/${jobs.length}] ${plan.dataset} ${method.method} s${seed}: test error ${(100 * o.final.testError).toFixed(2)}%  NLL ${o.final.testNll.toFixed(3)}  ECE ${(100 * o.final.testEce).toFixed(2)}%  FGSM ${(100 * o.fgsm.adversarial).toFixed(1)}%  (${formatDuration(seconds)}; ${formatDuration((performance.now() - started) / 1000)} so far)`,
    );
  }
  return outcomes;
}

/** Seconds per step of the run in progress, from its elapsed time and its own ETA. */
function runCost(runStarted: number, steps: number, runLeft: number): number {
  const elapsed = (performance.now() - runStarted) / 1000;
  return (elapsed + runLeft) / steps;
}

/** A later run's cost per step: measured for its dataset, else this run's, scaled by a rough ratio. */
function estimateCost(measured: Map<string, number>, dataset: string, current: string, currentCost: number): number {
  const known = measured.get(dataset);
  if (known !== undefined) return known;
  if (dataset === current) return currentCost;
  // Before the first Fashion-MNIST run, its steps are guessed from the spirals' (about 4x, measured).
  return dataset === "fashion-mnist" ? currentCost * 4 : currentCost / 4;
}

async function measure(result: Awaited<ReturnType<typeof train>>, plan: DatasetPlan, dir: string, seed: number, preset: Preset, first: boolean): Promise<RunOutcome> {
  const t: Trained = { model: result.model, params: result.params, modelState: result.modelState, input: result.input };
  const data = result.data;
  const attacked = await attackAccuracy(t, data.test, { kind: "fgsm", eps: plan.fgsmEps, clip: data.clip });
  const all = nn.boundaries(result.model, null, result.model.inputShape);
  const layer = all.find((b) => b.name === plan.spectraLayer);
  if (!layer) throw new Error(`reproduce: ${plan.model} has no boundary named '${plan.spectraLayer}'`);
  const s = spectraAt(t, data.test, layer.index, data.classNames.length);
  const final = result.metrics[result.metrics.length - 1]!;
  return {
    dataset: plan.dataset,
    method: result.config.method,
    alpha: result.config.alpha,
    seed,
    dir,
    final,
    curve: result.metrics,
    fgsm: { eps: plan.fgsmEps, clean: attacked.clean, adversarial: attacked.adversarial, count: attacked.count },
    spectra: { layer: layer.index, layerName: layer.name, largest: s.mean.largest, restSum: s.mean.restSum, classes: s.classes.map((c) => ({ label: c.label, singularValues: c.singularValues.slice(0, 32) })) },
    trainSeconds: result.trainSeconds,
    ...(plan.dataset === "spirals" && first ? { spirals: spiralsPictures(t, data, preset.grid, all.find((b) => b.name === "bottleneck")!.index) } : {}),
  };
}

/** The decision function p(arm 1 | x) on a grid over the plane, the test points, and their 2-D bottleneck codes. */
function spiralsPictures(t: Trained, data: LoadedData, cells: number, bottleneck: number): NonNullable<RunOutcome["spirals"]> {
  const lo = -1.3;
  const cell = 2.6 / cells;
  const coords = new Float32Array(cells * cells * 2);
  for (let i = 0; i < cells; i++) {
    for (let j = 0; j < cells; j++) {
      coords[2 * (i * cells + j)] = lo + (j + 0.5) * cell;
      coords[2 * (i * cells + j) + 1] = lo + (i + 0.5) * cell;
    }
  }
  const x = np.array(coords, { shape: [cells * cells, 2] });
  const logits = evalForward(t.model)(t.params, t.modelState, x);
  const probs = np.softmax(logits, -1);
  const p = probs.dataSync();
  dispose([x, logits, probs]);
  const grid = globalThis.Array.from({ length: cells * cells }, (_, k) => ({ x: coords[2 * k]!, y: coords[2 * k + 1]!, p: p[2 * k + 1]! }));
  const test = data.test as { x: { data: Float32Array }; y: { data: Int32Array } };
  const shown = Math.min(600, test.y.data.length);
  const points = globalThis.Array.from({ length: shown }, (_, k) => ({ x: test.x.data[2 * k]!, y: test.x.data[2 * k + 1]!, label: test.y.data[k]! }));
  const f = features(t, data.test, bottleneck);
  const codes = globalThis.Array.from({ length: shown }, (_, k) => ({ x: f.values[2 * k]!, y: f.values[2 * k + 1]!, label: f.labels[k]! }));
  return { grid, cell, points, bottleneck: codes };
}

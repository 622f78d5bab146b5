import { METHOD_REGISTRY } from "../methods.js";
import { createHash } from "node:crypto";
import { parseArgs } from "../args.js";
import { DEFAULT_EPOCHS, resolveLayers, trainConfigFromArgs, TRAIN_OPTIONS, type TrainConfig } from "../config.js";
import { datasetShape, type DatasetName } from "../datasets.js";
import { UsageError } from "../errors.js";
import { buildModel, DEFAULT_MODEL } from "../models.js";
import { sweepMixFlagsFor } from "../mix-options.js";
import type { SweepSpec } from "./spec.js";

/** One cell of a sweep: an ordinary `mmx train` run and how it is evaluated. */
export interface Cell {
  /** A hash of everything that defines the cell: equal configs, equal ids (and equal results). */
  id: string;
  /** "spirals spiral-net n256 e2 manifold α=2 {input,hidden1} s0". */
  label: string;
  /** The label without the seed: the cells whose results are averaged. */
  group: string;
  /** What the methods are compared within: dataset, model, training size, epochs. */
  context: string;
  config: TrainConfig;
  /** FGSM's L∞ radius in the evaluation. */
  fgsmEps: number;
  /**
   * Evaluate on the test set every N epochs and after the last, instead of every epoch (mmx train's
   * evalEvery). It changes no result of the cell, so it is not part of its id.
   */
  evalEvery?: number;
}

/** Bumped when what a cell computes changes, so that old results are not reused for new meanings. */
const CELL_FORMAT = "mmx-sweep-cell/1";

/** JSON with keys sorted at every level: the same config always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export function cellId(config: TrainConfig, fgsmEps: number): string {
  return createHash("sha256").update(canonicalJson({ format: CELL_FORMAT, config, fgsmEps })).digest("hex").slice(0, 16);
}

const isSpirals = (d: DatasetName) => d === "spirals";
export const DEFAULT_FGSM_EPS = (d: DatasetName) => (isSpirals(d) ? 0.05 : 0.03);

/** The `mmx train` flags that every cell of a spec shares. */
function sharedFlags(spec: SweepSpec, dataset: DatasetName): string[] {
  const flags: [string, unknown][] = [
    [isSpirals(dataset) ? "n-test" : "test-limit", spec.testSize],
    ["batch", spec.batch],
    ["lr", spec.lr],
    ["hidden", spec.hidden?.join(",")],
    ["loss", spec.loss],
    ["schedule", spec.schedule],
    ["momentum", spec.momentum],
    ["wd", spec.wd],
  ];
  return flags.filter(([, v]) => v !== undefined).flatMap(([k, v]) => [`--${k}`, String(v)]);
}

/** The most cells one sweep expands: far more than a paper's grids, few enough to check each in seconds. */
export const MAX_CELLS = 10_000;

/**
 * Every cell of the grid, in a fixed order (datasets, models, sizes, epochs, methods, α, eligible sets,
 * seeds). Each cell's config comes from `mmx train`'s own option parsing and checks, so a cell is
 * exactly the run `mmx train` would make with those flags; a combination it rejects is an error naming
 * the cell. `none` takes no α and no eligible set, `input` no eligible set (it mixes at the input).
 */
export function expandCells(spec: SweepSpec, backend: string, where: string): Cell[] {
  // Counted before anything is made: a grid of millions would otherwise spend minutes (and memory) being checked.
  const axes: [string, number][] = [
    ["datasets", spec.datasets.length], ["models", spec.models?.length ?? 1], ["trainSizes", spec.trainSizes?.length ?? 1], ["epochs", spec.epochs?.length ?? 1],
    ["methods", spec.methods.length], ["alphas", spec.alphas?.length ?? 1], ["eligible", spec.eligible?.length ?? 1], ["seeds", spec.seeds.length],
  ];
  const bound = axes.reduce((n, [, k]) => n * k, 1);
  if (bound > MAX_CELLS) {
    throw new UsageError(`${where}: the grid has up to ${bound} cells (${axes.filter(([, k]) => k > 1).map(([a, k]) => `${k} ${a}`).join(" × ")}), more than the ${MAX_CELLS} one sweep takes; split it into several sweeps`);
  }
  const cells: Cell[] = [];
  const seen = new Set<string>();
  for (const dataset of spec.datasets) {
    for (const model of spec.models ?? [DEFAULT_MODEL[dataset]]) {
      for (const trainSize of spec.trainSizes ?? [undefined]) {
        for (const epochs of spec.epochs ?? [DEFAULT_EPOCHS[dataset]]) {
          for (const method of spec.methods) {
            for (const alpha of method === "none" ? [undefined] : (spec.alphas ?? [undefined])) {
              for (const eligible of method === "manifold" ? (spec.eligible ?? [undefined]) : [undefined]) {
                for (const seed of spec.seeds) {
                  const flags = [
                    "--dataset", dataset, "--model", model, "--method", method, "--epochs", String(epochs), "--seed", String(seed),
                    ...(trainSize !== undefined ? [isSpirals(dataset) ? "--n-train" : "--train-limit", String(trainSize)] : []),
                    ...(alpha !== undefined ? ["--alpha", String(alpha)] : []),
                    ...(eligible !== undefined ? ["--layers", eligible.join(",")] : []),
                    ...sharedFlags(spec, dataset),
                    ...sweepMixFlagsFor(method, spec.mixFlags ?? []),
                  ];
                  const name = `${dataset} ${model}${trainSize !== undefined ? ` n${trainSize}` : ""} e${epochs} ${method}${alpha !== undefined ? ` α=${alpha}` : ""}${eligible ? ` {${eligible.join(",")}}` : ""} s${seed}`;
                  let config: TrainConfig;
                  try {
                    const { layerRefs, backend: _unused, ...rest } = trainConfigFromArgs(parseArgs(flags, TRAIN_OPTIONS, "train"));
                    const { model: built } = buildModel(rest.model, datasetShape(rest.dataset), rest.hidden);
                    config = { ...rest, ...resolveLayers(rest.method, layerRefs, built), backend };
                  } catch (e) {
                    if (e instanceof UsageError) throw new UsageError(`${where}: cell '${name}': ${e.message.replace(/^mmx train: /, "")}`);
                    throw e;
                  }
                  const fgsmEps = spec.fgsmEps ?? DEFAULT_FGSM_EPS(dataset);
                  const id = cellId(config, fgsmEps);
                  if (seen.has(id)) continue;
                  seen.add(id);
                  cells.push({ id, ...describeCell(config), fgsmEps });
                }
              }
            }
          }
        }
      }
    }
  }
  return cells;
}

/** A cell's label, group and context, from its resolved config (eligible sets by boundary name). */
export function describeCell(config: TrainConfig): Omit<Cell, "id" | "fgsmEps"> {
  const size = isSpirals(config.dataset) ? config.spiralsTrain : config.trainLimit;
  const context = `${config.dataset} ${config.model}${config.hidden ? `[${config.hidden.join(",")}]` : ""}${size !== undefined ? ` n${size}` : ""} e${config.epochs}`;
  const placement = METHOD_REGISTRY[config.method].placement;
  const method = placement === "nowhere" ? config.method : placement === "input" ? `${config.method} α=${config.alpha}` : `${config.method} α=${config.alpha} {${config.layerNames.join(",")}}`;
  const group = `${context} ${method}`;
  return { label: `${group} s${config.seed}`, group, context, config };
}

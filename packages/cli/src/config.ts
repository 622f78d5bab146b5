import * as nn from "@mmx/nn";
import { decimal, getFlag, getList, getNumber, getString, typedOption, type OptionSpec, type ParsedArgs } from "./args.js";
import { DATA_DEFAULTS, DATASETS, type DataConfig, type DatasetName } from "./datasets.js";
import { oneOf, UsageError } from "./errors.js";
import { DEFAULT_MODEL, MODELS, type ModelName } from "./models.js";

import { LAMBDA_MODES, METHOD_REGISTRY, METHODS, type LambdaMode, type Method, type MethodSpec } from "./methods.js";
import { MIX_OPTION_SPECS, mixOptionsFromArgs, type MixOptionFields } from "./mix-options.js";
import { stepsPerCallMisfit } from "./steps-per-call.js";

export { METHODS, type Method };
export const LOSSES = ["bce", "ce"] as const;
export type LossName = (typeof LOSSES)[number];
export const SCHEDULES = ["constant", "cosine", "multistep"] as const;
export type ScheduleName = (typeof SCHEDULES)[number];

/** Everything that defines a training run; saved in the run folder and in every checkpoint. */
export interface TrainConfig extends DataConfig, MixOptionFields {
  model: ModelName;
  hidden?: number[];
  method: Method;
  /** λ ~ Beta(α, α); ignored for method none. */
  alpha: number;
  /** The eligible boundaries as indices (0 = the input); empty for method none. */
  layers: number[];
  /** The same boundaries by name, for people reading the config. */
  layerNames: string[];
  /** How a λ draw is shared: per pair, per example, half the batch (absent: one per batch). */
  lambdaMode?: LambdaMode;
  /** max(λ, 1 − λ) (absent: false). */
  lambdaMax?: boolean;
  /** Label smoothing ε of the training targets (absent: 0). */
  labelSmoothing?: number;
  loss: LossName;
  epochs: number;
  batch: number;
  lr: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  schedule: ScheduleName;
  /** Epochs at which a multistep schedule multiplies the rate by 0.1. */
  milestones: number[];
  seed: number;
  backend: string;
  /** Training steps per program call (`step.scan` over this many batches; absent: 1, one `step` per batch). */
  stepsPerCall?: number;
}

/**
 * The learning rate when --lr is not given. BCE on softmax averages over the classes, so on 10 classes its
 * gradients are about a tenth of cross-entropy's and the MLP wants 0.5 where cross-entropy wants 0.1; on the
 * spirals' 2 classes the two losses coincide, and the spiral net's 2-D bottleneck wants 0.05 (at 0.1 it stalls
 * more often). CIFAR-10's 0.1 is the paper's.
 */
export const DEFAULT_LR: Readonly<Record<DatasetName, Readonly<Record<LossName, number>>>> = {
  spirals: { bce: 0.05, ce: 0.05 },
  "fashion-mnist": { bce: 0.5, ce: 0.1 },
  mnist: { bce: 0.5, ce: 0.1 },
  cifar10: { bce: 0.1, ce: 0.1 },
};

/**
 * `mmx train`'s epochs when --epochs is not given. The spirals are small (15 steps an epoch at the
 * default points and batch): the spiral net needs about a hundred epochs to separate the arms, and a
 * newcomer's first run with the defaults should be one that learnt. The image datasets keep 10.
 */
export const DEFAULT_EPOCHS: Readonly<Record<DatasetName, number>> = { spirals: 100, "fashion-mnist": 10, mnist: 10, cifar10: 10 };

/** The paper's α: 1 for input mixup, 2 for manifold mixup (CIFAR-10, SVHN). */
export const DEFAULT_ALPHA: Readonly<Record<Method, number>> = Object.fromEntries(METHODS.map((m) => [m, METHOD_REGISTRY[m].alpha])) as Record<Method, number>;

/** The most spiral points a split may have: far more than the task needs, and within one array. */
export const SPIRALS_MAX_POINTS = 10_000_000;
/** The largest spiral noise: far beyond any that leaves the arms apart. */
export const SPIRALS_MAX_NOISE = 1000;

/** A per-dataset default as the help states it: "100 on spirals, 10 on fashion-mnist, mnist, cifar10". */
function perDatasetText(values: Readonly<Record<DatasetName, number>>): string {
  const byValue = new Map<number, DatasetName[]>();
  for (const d of DATASETS) byValue.set(values[d], [...(byValue.get(values[d]) ?? []), d]);
  return [...byValue].map(([v, ds]) => `${v} on ${ds.join(", ")}`).join("; ");
}

export const TRAIN_OPTIONS: readonly OptionSpec[] = [
  { name: "dataset", kind: "string", choices: DATASETS, help: "what to train on", defaultText: "spirals" },
  { name: "model", kind: "string", choices: MODELS, help: "the network", defaultText: "spiral-net on spirals, mlp on (fashion-)mnist, preact-resnet18 on cifar10" },
  { name: "hidden", kind: "list", placeholder: "N,N", help: "widths: mlp hidden sizes, spiral-net width, PreActResNet first-stage channels" },
  { name: "method", kind: "string", choices: METHODS, help: METHODS.map((m) => `${m}: ${METHOD_REGISTRY[m].title}`).join("; "), defaultText: "manifold" },
  { name: "alpha", kind: "number", help: "λ ~ Beta(α, α)", defaultText: METHODS.filter((m) => METHOD_REGISTRY[m].alpha > 0).map((m) => `${METHOD_REGISTRY[m].alpha} for ${m}`).join(", "), min: 0 },
  { name: "lambda-mode", kind: "string", choices: LAMBDA_MODES, help: "how a λ draw is shared: batch (one for the batch), pair (per pair of partners), elem (per example), half (half the batch mixed, half clean)", defaultText: "batch" },
  { name: "lambda-max", kind: "flag", help: "use max(λ, 1 − λ), so each example stays closest to itself", defaultText: "off" },
  { name: "label-smoothing", kind: "number", placeholder: "E", help: "smooth the training targets: (1 − E)·y + E/C, before they are mixed", defaultText: "0", min: 0, max: 1, maxExclusive: true },
  { name: "layers", kind: "list", placeholder: "K,K", help: `eligible boundaries (indices, 0 = input, or names) for ${METHODS.filter((m) => METHOD_REGISTRY[m].placement === "eligible").join(", ")}`, defaultText: "the model's mixing set" },
  ...MIX_OPTION_SPECS,
  { name: "loss", kind: "string", choices: LOSSES, help: "bce: BCE on softmax (the official code's); ce: soft-target cross-entropy", defaultText: "bce" },
  { name: "epochs", kind: "int", placeholder: "N", help: "epochs to train (with --resume: the new total)", defaultText: perDatasetText(DEFAULT_EPOCHS), min: 1 },
  { name: "batch", kind: "int", placeholder: "N", help: "batch size (the last, smaller batch of an epoch is dropped)", defaultText: "128", min: 1 },
  { name: "lr", kind: "number", help: "SGD learning rate", defaultText: "0.05 on spirals; 0.5 on (fashion-)mnist with bce, 0.1 with ce; 0.1 on cifar10", min: 0, minExclusive: true },
  { name: "momentum", kind: "number", help: "SGD momentum", defaultText: "0.9", min: 0, max: 1, maxExclusive: true },
  { name: "nesterov", kind: "flag", help: "Nesterov momentum (--no-nesterov to turn off)", defaultText: "on" },
  { name: "wd", kind: "number", help: "weight decay", defaultText: "1e-4", min: 0 },
  { name: "schedule", kind: "string", choices: SCHEDULES, help: "learning-rate schedule", defaultText: "constant" },
  { name: "milestones", kind: "list", placeholder: "E,E", help: "epochs where multistep multiplies the rate by 0.1" },
  { name: "seed", kind: "int", placeholder: "S", help: "seeds the initialisation, the shuffling and the mixup draws", defaultText: "0", min: 0 },
  { name: "backend", kind: "string", placeholder: "NAME", help: "a backend from availableBackends() (cpu, wasm, webgpu, onnx, ...)", defaultText: "the fastest present: onnx where @mmx/onnx runs, else wasm" },
  { name: "steps-per-call", kind: "int", placeholder: "K", help: "training steps per program call: K consecutive batches run as one scanned program (step.scan), the same steps in fewer host round trips (on onnx one runtime call per K steps); not with cutmix, patchup, nfm or --ways > 2, whose draws need a step per batch; may change on --resume", defaultText: "1, one call per step", min: 1 },
  { name: "out", kind: "string", placeholder: "DIR", help: "the run folder (config.json, metrics.json, checkpoint.mmx)", defaultText: "runs/<dataset>-<method>-s<seed>" },
  { name: "resume", kind: "flag", help: "continue the run in --out from its last checkpoint" },
  { name: "train-limit", kind: "int", placeholder: "N", help: "image datasets: train on the first N examples", min: 1 },
  { name: "test-limit", kind: "int", placeholder: "N", help: "image datasets: test on the first N examples", min: 1 },
  { name: "n-train", kind: "int", placeholder: "N", help: "spirals: training points", defaultText: String(DATA_DEFAULTS.spiralsTrain), min: 1, max: SPIRALS_MAX_POINTS },
  { name: "n-test", kind: "int", placeholder: "N", help: "spirals: test points", defaultText: String(DATA_DEFAULTS.spiralsTest), min: 1, max: SPIRALS_MAX_POINTS },
  { name: "noise", kind: "number", help: "spirals: noise standard deviation", defaultText: String(DATA_DEFAULTS.spiralsNoise), min: 0, max: SPIRALS_MAX_NOISE },
  { name: "data-seed", kind: "int", placeholder: "S", help: "spirals: seeds the points", defaultText: "0", min: 0 },
  { name: "data-dir", kind: "string", placeholder: "DIR", help: "cifar10: folder of the binary batch files" },
  { name: "quiet", kind: "flag", help: "no progress output" },
];

/** The options that define a run (everything but where it goes, how it reports, and --resume/--epochs). */
export const RUN_DEFINING_OPTIONS = TRAIN_OPTIONS.map((o) => o.name).filter((n) => !["out", "resume", "epochs", "quiet", "backend", "steps-per-call"].includes(n));

function positiveInt(v: number | undefined, name: string, fallback: number, min = 1): number {
  const x = v ?? fallback;
  if (!(Number.isInteger(x) && x >= min)) throw new UsageError(`--${name} must be a whole number >= ${min}, got ${x}`);
  return x;
}

function nonNegative(v: number | undefined, name: string, fallback: number): number {
  const x = v ?? fallback;
  if (!(x >= 0)) throw new UsageError(`--${name} must be >= 0, got ${x}`);
  return x;
}

/** A training config from parsed `mmx train` options, with defaults, checked. Layers are resolved separately. */
/** The run's config as the options give it; `backend` is absent when not given (the command picks the fastest). */
export function trainConfigFromArgs(args: ParsedArgs): Omit<TrainConfig, "layers" | "layerNames" | "backend"> & { layerRefs?: string[]; backend?: string } {
  const dataset = oneOf(getString(args, "dataset") ?? "spirals", DATASETS, "dataset") as DatasetName;
  const method = (getString(args, "method") ?? "manifold") as Method;
  const model = (getString(args, "model") ?? DEFAULT_MODEL[dataset]) as ModelName;
  const alpha = getNumber(args, "alpha") ?? DEFAULT_ALPHA[method];
  if (method !== "none" && !(alpha > 0)) throw new UsageError(`--alpha must be > 0 for ${method} mixup (λ ~ Beta(α, α)), got ${alpha}; use --method none to train without mixup`);
  if (method === "none" && getNumber(args, "alpha") !== undefined) throw new UsageError("--alpha has no effect with --method none");
  const lambdaMode = getString(args, "lambda-mode") as LambdaMode | undefined;
  const lambdaMax = getFlag(args, "lambda-max");
  for (const [flag, given] of [["lambda-mode", lambdaMode], ["lambda-max", lambdaMax]] as const) {
    if (given !== undefined && METHOD_REGISTRY[method].placement === "nowhere") throw new UsageError(`${typedOption(args, flag)} has no effect with --method ${method}`);
  }
  const layerRefs = getList(args, "layers");
  if (layerRefs && METHOD_REGISTRY[method].placement !== "eligible") throw new UsageError(`--layers applies to methods that mix at an eligible set (${METHODS.filter((m) => METHOD_REGISTRY[m].placement === "eligible").map((m) => `--method ${m}`).join(", ")}); ${method === "input" ? "input mixup mixes at the input, layer 0" : `--method ${method} mixes ${METHOD_REGISTRY[method].placement === "nowhere" ? "nowhere" : "at the input"}`}`);
  const hidden = getList(args, "hidden")?.map((h) => {
    const v = decimal(h);
    if (!(Number.isSafeInteger(v) && v >= 1)) throw new UsageError(`--hidden must list positive whole numbers, got '${h}'`);
    return v;
  });
  const schedule = (getString(args, "schedule") ?? "constant") as ScheduleName;
  const milestones = (getList(args, "milestones") ?? []).map((m) => {
    const v = decimal(m);
    if (!(Number.isSafeInteger(v) && v >= 1)) throw new UsageError(`--milestones must list epochs (whole numbers >= 1), got '${m}'`);
    return v;
  });
  if (milestones.length > 0 && schedule !== "multistep") throw new UsageError("--milestones needs --schedule multistep");
  if (schedule === "multistep" && milestones.length === 0) throw new UsageError("--schedule multistep needs --milestones E,E (epochs)");
  const loss = (getString(args, "loss") ?? "bce") as LossName;
  const lr = getNumber(args, "lr") ?? DEFAULT_LR[dataset][loss];
  if (!(lr > 0)) throw new UsageError(`--lr must be > 0, got ${lr}`);
  const momentum = getNumber(args, "momentum") ?? 0.9;
  if (!(momentum >= 0 && momentum < 1)) throw new UsageError(`--momentum must be in [0, 1), got ${momentum}`);
  const nesterov = (getFlag(args, "nesterov") ?? true) && momentum > 0;
  const trainLimit = getNumber(args, "train-limit");
  const testLimit = getNumber(args, "test-limit");
  const spiralsOnly = ["n-train", "n-test", "noise", "data-seed"].filter((o) => args.values[o] !== undefined);
  if (dataset !== "spirals" && spiralsOnly.length > 0) throw new UsageError(`${spiralsOnly.map((o) => `--${o}`).join(", ")} appl${spiralsOnly.length > 1 ? "y" : "ies"} to --dataset spirals only`);
  if (dataset === "spirals" && (trainLimit !== undefined || testLimit !== undefined)) throw new UsageError("--train-limit/--test-limit apply to image datasets; for spirals use --n-train/--n-test");
  const dataDir = getString(args, "data-dir");
  if (dataDir !== undefined && dataset !== "cifar10") throw new UsageError("--data-dir applies to --dataset cifar10 only (the other datasets are embedded)");
  const stepsPerCall = positiveInt(getNumber(args, "steps-per-call"), "steps-per-call", 1);
  const config = {
    dataset,
    spiralsTrain: positiveInt(getNumber(args, "n-train"), "n-train", DATA_DEFAULTS.spiralsTrain),
    spiralsTest: positiveInt(getNumber(args, "n-test"), "n-test", DATA_DEFAULTS.spiralsTest),
    spiralsNoise: nonNegative(getNumber(args, "noise"), "noise", DATA_DEFAULTS.spiralsNoise),
    dataSeed: positiveInt(getNumber(args, "data-seed"), "data-seed", DATA_DEFAULTS.dataSeed, 0),
    ...(trainLimit !== undefined ? { trainLimit: positiveInt(trainLimit, "train-limit", 1) } : {}),
    ...(testLimit !== undefined ? { testLimit: positiveInt(testLimit, "test-limit", 1) } : {}),
    ...(dataDir !== undefined ? { dataDir } : {}),
    model,
    ...(hidden ? { hidden } : {}),
    method,
    alpha: method === "none" ? 0 : alpha,
    ...(layerRefs ? { layerRefs } : {}),
    ...(lambdaMode !== undefined && lambdaMode !== "batch" ? { lambdaMode } : {}),
    ...(lambdaMax ? { lambdaMax } : {}),
    ...(getNumber(args, "label-smoothing") ? { labelSmoothing: getNumber(args, "label-smoothing")! } : {}),
    ...mixOptionsFromArgs(args, method, lambdaMode),
    loss,
    epochs: positiveInt(getNumber(args, "epochs"), "epochs", DEFAULT_EPOCHS[dataset]),
    batch: positiveInt(getNumber(args, "batch"), "batch", 128),
    lr,
    momentum,
    nesterov,
    weightDecay: nonNegative(getNumber(args, "wd"), "wd", 1e-4),
    schedule,
    milestones,
    seed: positiveInt(getNumber(args, "seed"), "seed", 0, 0),
    ...(getString(args, "backend") !== undefined ? { backend: getString(args, "backend")! } : {}),
    ...(stepsPerCall > 1 ? { stepsPerCall } : {}),
  };
  const misfit = stepsPerCallMisfit(config);
  if (misfit) throw new UsageError(misfit);
  return config;
}

/**
 * The eligible set as boundary indices and names: `--layers` (indices or names) checked against the
 * model's traced boundaries, or the model's own mixing set; input mixup is {0}, no mixup {}.
 */
export function resolveLayers(method: Method, refs: readonly string[] | undefined, model: nn.Model): { layers: number[]; layerNames: string[] } {
  const all = nn.boundaries(model, null, model.inputShape);
  const describe = () => all.map((b) => `${b.index} ${b.name}`).join(", ");
  const { placement } = METHOD_REGISTRY[method];
  if (placement === "nowhere") return { layers: [], layerNames: [] };
  if (placement === "input") {
    const unfit = (METHOD_REGISTRY[method] as MethodSpec).unfit?.(all, [0]);
    if (unfit) throw new UsageError(`--method ${method}: ${unfit}`);
    return { layers: [0], layerNames: ["input"] };
  }
  const wanted = refs ?? model.paperBoundaries.map(String);
  const layers = wanted.map((ref) => {
    const asIndex = /^\d+$/.test(ref) ? Number(ref) : undefined;
    const hit = asIndex !== undefined ? all[asIndex] : all.find((b) => b.name === ref);
    if (!hit) throw new UsageError(`--layers: the model has no boundary ${asIndex !== undefined ? asIndex : `named '${ref}'`}; its boundaries are ${describe()}`);
    if (hit.index === all.length - 1) throw new UsageError(`--layers: ${hit.index} (${hit.name}) is the model's output; mixing there is target mixing only. Boundaries: ${describe()}`);
    return hit.index;
  });
  const unique = [...new Set(layers)].sort((a, b) => a - b);
  if (unique.length !== layers.length) throw new UsageError(`--layers lists a boundary twice: ${wanted.join(",")}`);
  const unfit = (METHOD_REGISTRY[method] as MethodSpec).unfit?.(all, unique);
  if (unfit) throw new UsageError(`--method ${method}: ${unfit}`);
  return { layers: unique, layerNames: unique.map((i) => all[i]!.name) };
}

/** Options given on the command line that would change a saved run's definition (for --resume), as typed (`--no-self-pairs`). */
export function conflictingOptions(args: ParsedArgs): string[] {
  return RUN_DEFINING_OPTIONS.filter((n) => args.values[n] !== undefined).map((n) => typedOption(args, n));
}

/**
 * Why training `config` (saved) on to `epochs` would not follow the schedule it started with, or
 * undefined when it would: a cosine schedule spans the run's epochs, so changing them changes the
 * learning rate of every step (the rate would go back up). Constant and multistep rates do not depend
 * on the epoch count.
 */
export function scheduleChange(config: TrainConfig, epochs: number): string | undefined {
  if (epochs === config.epochs) return undefined;
  if (config.schedule === "cosine") return `would change the run's cosine schedule, which spans its ${config.epochs} epochs (the learning rate of every later step would differ from the run's)`;
  if (config.alphaSchedule === "cosine") return `would change the run's cosine α schedule (--alpha-schedule), which spans its ${config.epochs} epochs (the α of every later step would differ from the run's)`;
  return undefined;
}

export const describeMethod = (m: Method): string => METHOD_REGISTRY[m].title;


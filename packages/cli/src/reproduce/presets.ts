import type { LossName, ScheduleName } from "../config.js";
import { PAPER_METHODS, type MethodPlan } from "./method-plans.js";
import { didYouMean, listChoices, UsageError } from "../errors.js";
import type { ModelName } from "../models.js";

/** One dataset's part of the demo: what is trained, how long, and how it is attacked. */
export interface DatasetPlan {
  dataset: "spirals" | "fashion-mnist";
  model: ModelName;
  hidden?: number[];
  /** Spirals: points; image datasets: the first N examples of each split (class-balanced prefixes). */
  trainSize: number;
  testSize: number;
  epochs: number;
  batch: number;
  lr: number;
  schedule: ScheduleName;
  /** The training loss; absent: BCE on the softmax, the official code's. */
  loss?: LossName;
  /** Evaluate on the test set every N epochs and after the last (absent: every epoch). */
  evalEvery?: number;
  /** FGSM's L∞ radius on this data. */
  fgsmEps: number;
  /** The boundary whose per-class singular values are reported (a name of the model's boundaries). */
  spectraLayer: string;
}

export type PresetName = "tiny" | "default" | "full";

/**
 * What the demo is run on. `standard`: the spirals of Figure 1 and 10,000 Fashion-MNIST images for a
 * few epochs. `small-data`: 3,000 Fashion-MNIST images trained for many epochs, where a regulariser has
 * overfitting to prevent, the setting in which the paper's ordering can show. `small-data-cnn`: the same
 * data with a small CNN and soft-target cross-entropy. `map`: a grid of training-set sizes and epoch
 * counts (see map.ts; it has no Preset of its own).
 */
export type RegimeName = "standard" | "small-data" | "small-data-cnn" | "map";
export const REGIME_NAMES: readonly RegimeName[] = ["standard", "small-data", "small-data-cnn", "map"];

export interface Preset {
  name: PresetName;
  regime: RegimeName;
  seeds: number[];
  methods: readonly MethodPlan[];
  plans: DatasetPlan[];
  /** Cells per side of the spirals' decision-boundary grid. */
  grid: number;
  /** Runs trained at once when `--jobs` is not given (absent: `defaultJobs()`, two on two cores). */
  jobs?: number;
  /** Set when `--epochs` replaced every dataset's epoch count (see `withEpochs`). */
  epochsOverride?: number;
}

/** The preset with every dataset trained for `epochs` epochs (`mmx reproduce --epochs N`). */
export function withEpochs(preset: Preset, epochs: number): Preset {
  if (!(Number.isInteger(epochs) && epochs >= 1)) throw new UsageError(`mmx reproduce: --epochs must be a whole number of at least 1, got ${epochs}`);
  return { ...preset, plans: preset.plans.map((p) => ({ ...p, epochs })), epochsOverride: epochs };
}

/** The paper's settings: no mixup, input mixup with α = 1, manifold mixup with α = 2. */
export const METHOD_PLAN: Preset["methods"] = PAPER_METHODS;

const spirals = (p: Partial<DatasetPlan>): DatasetPlan => ({
  dataset: "spirals",
  model: "spiral-net",
  trainSize: 2000,
  testSize: 2000,
  epochs: 100,
  batch: 100,
  // The 2-D bottleneck makes this net fragile: at 0.1 one seed in three of the no-mixup baseline
  // stalled (its bottleneck died); at 0.05 every seed trains (measured, see docs/demo.md).
  lr: 0.05,
  schedule: "cosine",
  // The arms are about 0.33 apart; 0.05 is a sixth of the gap.
  fgsmEps: 0.05,
  spectraLayer: "bottleneck",
  ...p,
});

const fashion = (p: Partial<DatasetPlan>): DatasetPlan => ({
  dataset: "fashion-mnist",
  model: "mlp",
  hidden: [256, 256],
  trainSize: 10000,
  testSize: 10000,
  epochs: 10,
  batch: 100,
  // BCE on softmax averages over the 10 classes, so its gradients are about a tenth of cross-entropy's:
  // lr 0.5 trains the baseline about as far as cross-entropy at 0.1 does in this budget (measured).
  lr: 0.5,
  schedule: "cosine",
  fgsmEps: 0.03,
  spectraLayer: "hidden2",
  ...p,
});

const standard = (name: PresetName, plans: DatasetPlan[], grid: number): Preset => ({ name, regime: "standard", seeds: [0, 1, 2], methods: METHOD_PLAN, plans, grid });
const smallData = (name: PresetName, plan: DatasetPlan, regime: RegimeName = "small-data"): Preset => ({ name, regime, seeds: [0, 1, 2], methods: METHOD_PLAN, plans: [plan], grid: 0 });

/**
 * `default` is budgeted to finish within 10 minutes on 2 cores with the wasm backend (measured in
 * docs/demo.md); `full` trains longer on more data; `tiny` is for tests and smoke runs (seconds).
 */
export const PRESETS: Readonly<Record<PresetName, Preset>> = {
  tiny: standard("tiny", [spirals({ trainSize: 200, testSize: 200, epochs: 2, batch: 50, hidden: [16] }), fashion({ trainSize: 200, testSize: 100, epochs: 1, batch: 50, hidden: [32, 32] })], 12),
  default: standard("default", [spirals({}), fashion({})], 60),
  full: standard("full", [spirals({ trainSize: 4000, epochs: 200 }), fashion({ trainSize: 60000, epochs: 20 })], 100),
};

/**
 * The small-data regime: Fashion-MNIST only (the spirals are small data already), the default's model,
 * learning rate and schedule, on 3,000 training images (a class-balanced prefix) trained SMALL_DATA_EPOCHS
 * epochs, and tested on all 10,000 test images. Sixty epochs are long enough for the baseline to
 * overfit (its test NLL bottoms out by epoch 20 and rises after, measured in docs/demo.md); `--epochs`
 * trains longer. `tiny` runs in seconds.
 */
export const SMALL_DATA_EPOCHS = 60;
export const SMALL_DATA_PRESETS: Readonly<Partial<Record<PresetName, Preset>>> = {
  tiny: smallData("tiny", fashion({ trainSize: 300, testSize: 100, epochs: 3, batch: 50, hidden: [32, 32] })),
  default: smallData("default", fashion({ trainSize: 3000, epochs: SMALL_DATA_EPOCHS })),
};

/**
 * The small-data regime with a CNN: `nn.smallCnn` (two 3x3 conv blocks of 32 and 64 channels, a dense
 * 128) on the same 3,000 training images, trained CNN_EPOCHS epochs with soft-target cross-entropy
 * (lr 0.1, `mmx train`'s default for it on Fashion-MNIST, cosine decay, Nesterov momentum) and tested on
 * all 10,000 test images. Manifold mixup mixes at the input, block1 and block2.
 *
 * Budgeted to the 15 minutes of the other regimes on an idle 2-core machine (predicted and measured in
 * docs/demo.md; each run prints its own prediction): a CNN step costs far more than an MLP one, so the
 * training stops at CNN_EPOCHS, where the 60-epoch runs' test curves had flattened, and evaluating the
 * 10,000 test images, about as costly as an epoch of training, is done every CNN_EVAL_EVERY epochs (and
 * after the last). Its nine runs train CNN_JOBS at a time: three rounds with no core left idle, where two
 * at a time would leave the ninth run alone on one core. `--epochs 60` trains the PyTorch run's length.
 */
export const CNN_EPOCHS = 45;
export const CNN_EVAL_EVERY = 15;
export const CNN_JOBS = 3;
function cnn(p: Partial<DatasetPlan>): DatasetPlan {
  // The CNN's widths are fixed: the MLP's hidden sizes do not carry over.
  const { hidden: _mlpWidths, ...plan } = fashion({ model: "small-cnn", trainSize: 3000, epochs: CNN_EPOCHS, lr: 0.1, loss: "ce", evalEvery: CNN_EVAL_EVERY, spectraLayer: "hidden", ...p });
  return plan;
}
export const SMALL_DATA_CNN_PRESETS: Readonly<Partial<Record<PresetName, Preset>>> = {
  tiny: smallData("tiny", cnn({ trainSize: 100, testSize: 100, epochs: 2, batch: 50, evalEvery: 2 }), "small-data-cnn"),
  default: { ...smallData("default", cnn({}), "small-data-cnn"), jobs: CNN_JOBS },
};

/** The regimes whose runs are a Preset (the map is a grid of cells instead; see map.ts). */
export type PresetRegime = Exclude<RegimeName, "map">;
export const REGIMES: Readonly<Record<PresetRegime, Readonly<Partial<Record<PresetName, Preset>>>>> = { standard: PRESETS, "small-data": SMALL_DATA_PRESETS, "small-data-cnn": SMALL_DATA_CNN_PRESETS };

/** The preset of a regime, or a UsageError that lists the regimes, or the presets the regime has. */
export function findPreset(regime: string, name: string): Preset {
  const presets = REGIMES[regime as PresetRegime];
  if (!presets) throw new UsageError(`mmx reproduce: unknown regime '${regime}'${didYouMean(regime, REGIME_NAMES)}; valid regimes: ${listChoices(REGIME_NAMES)}`);
  const preset = presets[name as PresetName];
  if (!preset) throw new UsageError(`mmx reproduce: the ${regime} regime has no '${name}' preset; its presets: ${listChoices(Object.keys(presets))}`);
  return preset;
}

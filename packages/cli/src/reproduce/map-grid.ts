import { decimal, getList, getString, type OptionSpec, type ParsedArgs } from "../args.js";
import { UsageError } from "../errors.js";
import { REGIMES, type DatasetPlan, type PresetName } from "./presets.js";

/** The regimes whose model and training settings a map's cells may take. */
export const MAP_BASES = ["small-data-cnn", "small-data"] as const;
export type MapBase = (typeof MAP_BASES)[number];

/** The map: every training-set size × epoch count × method × seed is one training run (a cell). */
export interface MapGrid {
  /** Whose plan the cells train with, but for the training-set size and the epoch count. */
  base: MapBase;
  plan: DatasetPlan;
  sizes: number[];
  epochs: number[];
  seeds: number[];
}

/** The Fashion-MNIST training split: a map's sizes are prefixes of it. */
export const FASHION_TRAIN_IMAGES = 60000;

type MapPresetName = Extract<PresetName, "tiny" | "default">;

/**
 * The grid when no flag changes it. `default` spans a sixth of the small-data regime's training set to
 * a third of the whole split, and short to long training; with three seeds it is hours on 2 cores, and
 * every finished cell is kept, so it may be run in pieces. `tiny` is for tests (seconds).
 */
const AXES: Readonly<Record<MapPresetName, Pick<MapGrid, "sizes" | "epochs" | "seeds">>> = {
  tiny: { sizes: [100, 200], epochs: [1, 2], seeds: [0] },
  default: { sizes: [500, 1500, 5000, 20000], epochs: [10, 30, 60], seeds: [0, 1, 2] },
};

export const MAP_OPTIONS: readonly OptionSpec[] = [
  { name: "sizes", kind: "list", placeholder: "N,N", help: "--regime map: training-set sizes (the first N Fashion-MNIST training images)", defaultText: "500,1500,5000,20000" },
  { name: "epochs-grid", kind: "list", placeholder: "E,E", help: "--regime map: epoch counts (each cell's cosine schedule spans its own epochs)", defaultText: "10,30,60" },
  { name: "seeds", kind: "list", placeholder: "S,S", help: "--regime map: seeds per cell", defaultText: "0,1,2" },
  { name: "base", kind: "string", choices: MAP_BASES, help: "--regime map: whose model and training settings the cells use", defaultText: "small-data-cnn" },
];

/** Reads a list flag of whole numbers, each at least `min` and listed once; errors name the flag. */
function wholeNumbers(args: ParsedArgs, flag: string, min: number): number[] | undefined {
  const items = getList(args, flag);
  if (items === undefined) return undefined;
  const values = items.map((text) => {
    const v = decimal(text);
    if (!(Number.isSafeInteger(v) && v >= min)) throw new UsageError(`--${flag}: '${text.trim()}' is not a whole number >= ${min}`);
    return v;
  });
  const twice = values.find((v, i) => values.indexOf(v) !== i);
  if (twice !== undefined) throw new UsageError(`--${flag} lists ${twice} twice`);
  return values;
}

/** The map's grid from the preset and the flags, checked: every size trains at least one full batch and fits the split. */
export function mapGridFromArgs(args: ParsedArgs, preset: string): MapGrid {
  if (preset !== "tiny" && preset !== "default") throw new UsageError(`mmx reproduce: the map regime has no '${preset}' preset; its presets: 'tiny' or 'default' (--sizes, --epochs-grid and --seeds choose the grid)`);
  const base = (getString(args, "base") ?? "small-data-cnn") as MapBase;
  const plan = REGIMES[base][preset]!.plans[0]!;
  const axes = AXES[preset];
  const sizes = wholeNumbers(args, "sizes", 1) ?? axes.sizes;
  for (const n of sizes) {
    if (n < plan.batch) throw new UsageError(`--sizes: ${n} is smaller than the cells' batch of ${plan.batch} (an epoch needs one full batch)`);
    if (n > FASHION_TRAIN_IMAGES) throw new UsageError(`--sizes: ${n} is more than the ${FASHION_TRAIN_IMAGES} Fashion-MNIST training images`);
  }
  return { base, plan, sizes, epochs: wholeNumbers(args, "epochs-grid", 1) ?? axes.epochs, seeds: wholeNumbers(args, "seeds", 0) ?? axes.seeds };
}

/** The flags that only the map reads: given with another regime they would be silently ignored. */
export function rejectMapFlags(args: ParsedArgs, regime: string): void {
  const given = MAP_OPTIONS.map((o) => o.name).filter((n) => args.values[n] !== undefined);
  if (given.length > 0) throw new UsageError(`mmx reproduce: --${given[0]} applies to --regime map only (this is --regime ${regime})`);
}

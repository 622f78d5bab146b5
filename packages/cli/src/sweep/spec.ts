import { readFileSync, statSync } from "node:fs";
import { decimal } from "../args.js";
import { LOSSES, METHODS, type LossName, type Method, type ScheduleName } from "../config.js";
import { DATASETS, type DatasetName } from "../datasets.js";
import { didYouMean, listChoices, UsageError } from "../errors.js";
import { MODELS, type ModelName } from "../models.js";
import { checkSweepMixFlag } from "../mix-options.js";

/**
 * A sweep: the axes of a grid (every combination is a cell) and the settings every cell shares.
 * Axes are lists; a missing axis takes `mmx train`'s default as its only value.
 */
export interface SweepSpec {
  datasets: DatasetName[];
  /** Models; absent: each dataset's default model. */
  models?: ModelName[];
  methods: Method[];
  /** α of the mixup methods; absent: `mmx train`'s default per method (1 input, 2 manifold). */
  alphas?: number[];
  /** Eligible sets of manifold mixup, each a list of boundaries (indices or names); absent: the model's mixing set. */
  eligible?: string[][];
  seeds: number[];
  /** Training examples (spirals: points; image datasets: the first N); absent: the dataset's default. */
  trainSizes?: number[];
  /** Epochs; absent: `mmx train`'s default per dataset (100 on the spirals, 10 on the image datasets). */
  epochs?: number[];
  /** Test examples (spirals: points; image datasets: the first N). */
  testSize?: number;
  batch?: number;
  lr?: number;
  hidden?: number[];
  loss?: LossName;
  schedule?: ScheduleName;
  momentum?: number;
  wd?: number;
  backend?: string;
  /** FGSM's L∞ radius in each cell's evaluation; absent: 0.05 on the spirals, 0.03 on images. */
  fgsmEps?: number;
  /** `mmx train`'s mixing flags without dashes ("ways=3", "no-self-pairs"), given to the cells whose method they change. */
  mixFlags?: string[];
}

type Reader<T> = (value: unknown, where: string) => T;

const fail = (where: string, what: string, got: unknown): never => {
  throw new UsageError(`${where} must be ${what}, got ${JSON.stringify(got)}`);
};
const number = (test: (x: number) => boolean, what: string): Reader<number> => (v, where) => (typeof v === "number" && test(v) ? v : fail(where, what, v));
const wholeAtLeast = (min: number) => number((x) => Number.isInteger(x) && x >= min, `a whole number >= ${min}`);
const positive = number((x) => Number.isFinite(x) && x > 0, "a number > 0");
const nonNegative = number((x) => Number.isFinite(x) && x >= 0, "a number >= 0");
const fraction = number((x) => x >= 0 && x < 1, "a number in [0, 1)");
const text: Reader<string> = (v, where) => (typeof v === "string" && v !== "" ? v : fail(where, "a non-empty string", v));
function choice<T extends string>(choices: readonly T[], what: string): Reader<T> {
  return (v, where) => {
    if (typeof v !== "string") return fail(where, `one of ${listChoices(choices)}`, v);
    if ((choices as readonly string[]).includes(v)) return v as T;
    throw new UsageError(`${where}: unknown ${what} '${v}'${didYouMean(v, choices)}; valid ${what}s: ${listChoices(choices)}`);
  };
}
/** A non-empty list; an axis (`unique`) may not list a value twice. */
function list<T>(item: Reader<T>, unique = true): Reader<T[]> {
  return (v, where) => {
    if (!Array.isArray(v) || v.length === 0) return fail(where, "a non-empty list", v);
    const items = v.map((x, i) => item(x, `${where}[${i}]`));
    const seen = new Set<string>();
    for (const [i, x] of items.entries()) {
      const k = JSON.stringify(x);
      if (unique && seen.has(k)) throw new UsageError(`${where}[${i}]: ${k} is listed twice`);
      seen.add(k);
    }
    return items;
  };
}
const layerRef: Reader<string> = (v, where) => (typeof v === "number" && Number.isInteger(v) && v >= 0 ? String(v) : typeof v === "string" && v !== "" ? v : fail(where, "a boundary index or name", v));

/** Every field a spec may have, and how it is read: a field missing here is a compile error. */
const FIELDS: { readonly [K in keyof SweepSpec]-?: Reader<NonNullable<SweepSpec[K]>> } = {
  datasets: list(choice(DATASETS, "dataset")),
  models: list(choice(MODELS, "model")),
  methods: list(choice(METHODS, "method")),
  alphas: list(positive),
  eligible: list(list(layerRef)),
  seeds: list(wholeAtLeast(0)),
  trainSizes: list(wholeAtLeast(1)),
  epochs: list(wholeAtLeast(1)),
  testSize: wholeAtLeast(1),
  batch: wholeAtLeast(1),
  lr: positive,
  hidden: list(wholeAtLeast(1), false),
  loss: choice(LOSSES, "loss"),
  schedule: choice(["constant", "cosine"] satisfies ScheduleName[], "schedule"),
  momentum: fraction,
  wd: nonNegative,
  backend: text,
  fgsmEps: nonNegative,
  mixFlags: list(checkSweepMixFlag),
};
export const SPEC_FIELDS = Object.keys(FIELDS) as (keyof SweepSpec)[];

/** What an absent axis is. */
const DEFAULTS: Pick<SweepSpec, "datasets" | "methods" | "seeds"> = { datasets: ["spirals"], methods: [...METHODS], seeds: [0] };

/**
 * Checks a parsed spec object field by field; `where` names its source in errors ("grid.json"), and
 * `nameOf` a field (a flag's name when it came from one). An
 * unknown field is an error (with the nearest field name), so a typo never silently drops an axis.
 */
export function checkSpec(raw: unknown, where: string, nameOf: (field: string) => string = (field) => `${where}: ${field}`): SweepSpec {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new UsageError(`${where}: a sweep spec is a JSON object of axes ({"methods": [...], "seeds": [...]}), got ${Array.isArray(raw) ? "a list" : JSON.stringify(raw)}`);
  const out: Record<string, unknown> = { ...DEFAULTS };
  for (const [name, value] of Object.entries(raw)) {
    // Own fields only: "constructor" or "__proto__" would otherwise find Object's.
    const read = Object.hasOwn(FIELDS, name) ? (FIELDS[name as keyof SweepSpec] as Reader<unknown>) : undefined;
    if (!read) throw new UsageError(`${where}: unknown field '${name}'${didYouMean(name, SPEC_FIELDS)}; valid fields: ${SPEC_FIELDS.join(", ")}`);
    out[name] = read(value, nameOf(name));
  }
  return out as unknown as SweepSpec;
}

/** Reads a spec file (JSON); a missing file or broken JSON is a one-line error naming the file. */
export function readSpecFile(path: string): SweepSpec {
  let textRead: string;
  try {
    // A FIFO by that name would make the read wait forever; a folder is named as one.
    const stat = statSync(path);
    if (!stat.isFile()) throw new UsageError(`mmx sweep: the spec ${path} is ${stat.isDirectory() ? "a folder" : "not a regular file"}; give a JSON file`);
    textRead = readFileSync(path, "utf8");
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`mmx sweep: cannot read the spec ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(textRead);
  } catch (e) {
    throw new UsageError(`mmx sweep: ${path} is not valid JSON (${(e as Error).message.split("\n")[0]})`);
  }
  return checkSpec(raw, path);
}

/** How each field is written as a command-line flag: a comma-separated list, sets separated by ';', or one value. */
export const FLAG_SHAPES: { readonly [K in keyof SweepSpec]-?: "list" | "sets" | "value" } = {
  datasets: "list",
  models: "list",
  methods: "list",
  alphas: "list",
  eligible: "sets",
  seeds: "list",
  trainSizes: "list",
  epochs: "list",
  testSize: "value",
  batch: "value",
  lr: "value",
  hidden: "list",
  loss: "value",
  schedule: "value",
  momentum: "value",
  wd: "value",
  backend: "value",
  fgsmEps: "value",
  mixFlags: "list",
};

/**
 * A spec field from a flag's text, before checking (`--alphas 0.5,1,2`, `--eligible "input,hidden1;3"`):
 * items that read as numbers become numbers, so that the checks are those of a spec file.
 */
export function fieldFromFlag(field: keyof SweepSpec, flagText: string): unknown {
  const item = (s: string): unknown => {
    const t = s.trim();
    return Number.isFinite(decimal(t)) ? decimal(t) : t;
  };
  switch (FLAG_SHAPES[field]) {
    case "value":
      return item(flagText);
    case "list":
      return flagText.split(",").map(item);
    case "sets":
      return flagText.split(";").map((set) => set.split(",").map(item));
  }
}

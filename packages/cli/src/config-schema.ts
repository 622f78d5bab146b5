import { LOSSES, METHODS, SCHEDULES, SPIRALS_MAX_NOISE, SPIRALS_MAX_POINTS, type TrainConfig } from "./config.js";
import { DATASETS } from "./datasets.js";
import { LAMBDA_MODES, METHOD_REGISTRY } from "./methods.js";
import { listChoices, UsageError } from "./errors.js";
import { MODELS } from "./models.js";
import { MIX_FIELD_RULES, mixFieldsMisfit } from "./mix-options.js";

/** What is wrong with a field's value ("must be > 0"), or undefined when it is valid. */
type Check = (v: unknown) => string | undefined;

interface FieldRule {
  check: Check;
  /** Absent is valid (the field has a default meaning). */
  optional?: boolean;
}

const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const int = (min: number, max?: number): Check => (v) =>
  Number.isSafeInteger(v) && (v as number) >= min && (max === undefined || (v as number) <= max) ? undefined : max === undefined ? `must be a whole number >= ${min}` : `must be a whole number in [${min}, ${max}]`;
const number = (ok: (x: number) => boolean, range: string): Check => (v) => (isNumber(v) && ok(v) ? undefined : `must be a number ${range}`);
const oneOf = (choices: readonly string[]): Check => (v) => (typeof v === "string" && choices.includes(v) ? undefined : `must be one of ${listChoices(choices)}`);
const text: Check = (v) => (typeof v === "string" && v.length > 0 ? undefined : "must be a non-empty string");
const list = (item: Check, what: string): Check => (v) => (globalThis.Array.isArray(v) && v.every((x) => item(x) === undefined) ? undefined : `must be a list of ${what}`);
const flag: Check = (v) => (typeof v === "boolean" ? undefined : "must be true or false");

/** One rule per field of TrainConfig: a field added to the config without a rule does not compile. */
const RULES: { readonly [K in keyof TrainConfig]-?: FieldRule } = {
  dataset: { check: oneOf(DATASETS) },
  // Image datasets record 0 here (the demo's configs do): the spirals need at least one point.
  // The same bounds as the options that set these (--n-train, --noise): a file cannot ask for more than a flag can.
  spiralsTrain: { check: int(0, SPIRALS_MAX_POINTS) },
  spiralsTest: { check: int(0, SPIRALS_MAX_POINTS) },
  spiralsNoise: { check: number((x) => x >= 0 && x <= SPIRALS_MAX_NOISE, `in [0, ${SPIRALS_MAX_NOISE}]`) },
  trainLimit: { check: int(1), optional: true },
  testLimit: { check: int(1), optional: true },
  dataDir: { check: text, optional: true },
  dataSeed: { check: int(0) },
  model: { check: oneOf(MODELS) },
  hidden: { check: list(int(1), "whole numbers >= 1"), optional: true },
  method: { check: oneOf(METHODS) },
  alpha: { check: number((x) => x >= 0, ">= 0") },
  layers: { check: list(int(0), "boundary indices (whole numbers >= 0)") },
  layerNames: { check: list(text, "names") },
  lambdaMode: { check: oneOf(LAMBDA_MODES), optional: true },
  lambdaMax: { check: flag, optional: true },
  labelSmoothing: { check: number((x) => x >= 0 && x < 1, "in [0, 1)"), optional: true },
  loss: { check: oneOf(LOSSES) },
  epochs: { check: int(1) },
  batch: { check: int(1) },
  lr: { check: number((x) => x > 0, "> 0") },
  momentum: { check: number((x) => x >= 0 && x < 1, "in [0, 1)") },
  nesterov: { check: flag },
  weightDecay: { check: number((x) => x >= 0, ">= 0") },
  schedule: { check: oneOf(SCHEDULES) },
  milestones: { check: list(int(1), "epochs (whole numbers >= 1)") },
  seed: { check: int(0) },
  backend: { check: text },
  stepsPerCall: { check: int(1), optional: true },
  ...MIX_FIELD_RULES,
};

/** Rules between fields, checked once each field is valid on its own. */
const CROSS_CHECKS: readonly ((c: TrainConfig) => string | undefined)[] = [
  (c) => (c.dataset === "spirals" && !(c.spiralsTrain >= 1 && c.spiralsTest >= 1) ? `'spiralsTrain' and 'spiralsTest' are ${c.spiralsTrain} and ${c.spiralsTest}; the spirals need at least 1 point each` : undefined),
  (c) => (c.method !== "none" && !(c.alpha > 0) ? `'alpha' is ${c.alpha}; it must be > 0 for ${c.method} mixup` : undefined),
  (c) => (c.method === "none" && c.layers.length > 0 ? `'layers' is [${c.layers.join(",")}], but method 'none' mixes nowhere` : undefined),
  (c) => (METHOD_REGISTRY[c.method].placement === "input" && !(c.layers.length === 1 && c.layers[0] === 0) ? `'layers' is [${c.layers.join(",")}], but ${c.method} mixes at the input only ([0])` : undefined),
  (c) => (METHOD_REGISTRY[c.method].placement === "eligible" && c.layers.length === 0 ? `'layers' is empty; ${c.method} needs at least one boundary` : undefined),
  (c) => (c.method === "none" && (c.lambdaMode !== undefined || c.lambdaMax !== undefined) ? "'lambdaMode' or 'lambdaMax' is set, but method 'none' draws no λ" : undefined),
  (c) => (c.layerNames.length !== c.layers.length ? `'layerNames' has ${c.layerNames.length} names for ${c.layers.length} layers` : undefined),
  (c) => (new Set(c.layers).size !== c.layers.length ? `'layers' lists a boundary twice: [${c.layers.join(",")}]` : undefined),
  (c) => (c.schedule === "multistep" && c.milestones.length === 0 ? "'schedule' is multistep but 'milestones' is empty" : undefined),
  (c) => (c.schedule !== "multistep" && c.milestones.length > 0 ? `'milestones' is set but 'schedule' is ${c.schedule}` : undefined),
  mixFieldsMisfit,
];

/**
 * Checks a run's config read back from a file against the schema: every field present with a valid
 * value (and no field mmx does not know), and the fields consistent with each other. `source` names
 * where it came from ("checkpoint runs/x/checkpoint.mmx"); every error is a UsageError naming it and
 * the field.
 */
export function validateConfig(raw: unknown, source: string): TrainConfig {
  const fail = (why: string): never => {
    throw new UsageError(`${source}: its config ${why}`);
  };
  if (typeof raw !== "object" || raw === null || globalThis.Array.isArray(raw)) fail(`is ${raw === null ? "null" : globalThis.Array.isArray(raw) ? "a list" : typeof raw}, not an object of settings`);
  const record = raw as Record<string, unknown>;
  // Own fields only: "__proto__" or "constructor" are in every object's prototype chain.
  for (const key of Object.keys(record)) if (!Object.hasOwn(RULES, key)) fail(`has an unknown field '${key}' (written by a newer mmx, or edited by hand)`);
  for (const [key, rule] of Object.entries(RULES) as [keyof TrainConfig, FieldRule][]) {
    const value = record[key];
    if (value === undefined) {
      if (!rule.optional) fail(`lacks the field '${key}'`);
      continue;
    }
    const problem = rule.check(value);
    if (problem) fail(`field '${key}' is ${JSON.stringify(value)?.slice(0, 80) ?? String(value)}; it ${problem}`);
  }
  const config = record as unknown as TrainConfig;
  for (const check of CROSS_CHECKS) {
    const problem = check(config);
    if (problem) fail(`is inconsistent: ${problem}`);
  }
  return config;
}

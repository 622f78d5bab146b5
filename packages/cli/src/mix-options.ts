import { BATCH_STATS_POLICIES, MIX_AT, type BatchStatsPolicy, type MixAt } from "@mmx/mixup";
import { decimal, getFlag, getList, getNumber, getString, typedOption, type OptionSpec, type ParsedArgs } from "./args.js";
import { listChoices, UsageError } from "./errors.js";
import { ALPHA_SCHEDULES, METHOD_REGISTRY, METHODS, PATCHUP_MODES, type AlphaScheduleName, type LambdaMode, type Method, type PatchUpMode } from "./methods.js";

/**
 * The knobs of the mixup algebra as `mmx train` flags and saved-config fields: each field is named as the option of
 * @mmx/mixup it sets, each flag says which methods it applies to, and a field without an entry in `MIX_OPTIONS` does
 * not compile. Absent fields keep the method's defaults, so configs written before these flags read the same.
 */
export interface MixOptionFields {
  /** CutMix's box sides as fractions [lo, hi] of the image's (`cutmix.minMax`). */
  cutmixMinMax?: [number, number];
  /** CutMix's own α when its steps are switched with mixup steps (`cutmix.alpha`; default: the run's α). */
  cutmixAlpha?: number;
  /** The probability of a CutMix / PatchUp step rather than a mixup step (`cutmix.switchProb`, `patchup.switchProb`). */
  switchProb?: number;
  /** PatchUp's γ: about this fraction of the grid is altered (`patchup.gamma`). */
  patchupGamma?: number;
  /** PatchUp's block side in cells (`patchup.blockSize`). */
  patchupBlockSize?: number;
  /** `patchup.mode`: hard swaps the blocks, soft interpolates them. */
  patchupMode?: PatchUpMode;
  /** Soft PatchUp's λ ~ Beta(α, α) inside the blocks (`patchup.alpha`). */
  patchupAlpha?: number;
  /** trainStep's `patchUpLoss`: the official PatchUp objective on mask steps. */
  patchUpLoss?: boolean;
  /** Noisy Feature Mixup's levels (`noise.add`, `noise.mult`). */
  noiseAdd?: number;
  noiseMult?: number;
  /** `noise.fixedLevels`: the levels as given on every step, not scaled by Beta(2, 5) draws. */
  noiseFixedLevels?: boolean;
  /** RegMixup's weight of the mixed loss (trainStep's `regMixup.weight`). */
  regMixupWeight?: number;
  /** Examples combined per mixed example (`ways`; >= 3 is Dirichlet n-way mixing). */
  ways?: number;
  /** `selfPairs`: false pairs every example with another. */
  selfPairs?: boolean;
  /** mixup's α over the run (`alphaSchedule`): constant, or cosine to 0 at the last step. */
  alphaSchedule?: AlphaScheduleName;
  /** `offEpoch`: the first epoch (0-based) that trains clean. */
  offEpoch?: number;
  /** mixupOptions.bn: the batch statistics after the boundary. */
  bn?: BatchStatsPolicy;
  /** mixupOptions.at: mix every value crossing the cut, or the tagged value alone. */
  at?: MixAt;
}

/** The methods whose steps mix, and those of them with mixup (lerp) steps beside masks. */
const MIXING = METHODS.filter((m) => m !== "none");

interface MixOption<K extends keyof MixOptionFields> {
  readonly spec: OptionSpec;
  /** The methods the flag changes. */
  readonly methods: readonly Method[];
  /** The field's value from the parsed flags (undefined: not given, or the default that is not recorded). */
  read(args: ParsedArgs, flag: string): MixOptionFields[K] | undefined;
  /** What is wrong with a saved value ("must be ..."), or undefined. */
  check(v: unknown): string | undefined;
}

const fraction = (v: unknown) => (typeof v === "number" && v >= 0 && v <= 1 ? undefined : "must be a number in [0, 1]");
const above = (min: number) => (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v > min ? undefined : `must be a number > ${min}`);
const atLeast = (min: number) => (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= min ? undefined : `must be a number >= ${min}`);
const wholeAtLeast = (min: number) => (v: unknown) => (Number.isSafeInteger(v) && (v as number) >= min ? undefined : `must be a whole number >= ${min}`);
const oneOf = (choices: readonly string[]) => (v: unknown) => (typeof v === "string" && choices.includes(v) ? undefined : `must be one of ${listChoices(choices)}`);
const boolean = (v: unknown) => (typeof v === "boolean" ? undefined : "must be true or false");
const number = <K extends keyof MixOptionFields>(): MixOption<K>["read"] => (args, flag) => getNumber(args, flag) as MixOptionFields[K] | undefined;
const text = <K extends keyof MixOptionFields>(): MixOption<K>["read"] => (args, flag) => getString(args, flag) as MixOptionFields[K] | undefined;

function minMax(v: unknown): string | undefined {
  const ok = Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === "number" && x >= 0 && x <= 1) && v[0] <= v[1];
  return ok ? undefined : "must be [lo, hi] with 0 <= lo <= hi <= 1 (fractions of the image side)";
}

/** One entry per field: its flag, the methods it applies to, how it is read and checked. */
export const MIX_OPTIONS: { readonly [K in keyof MixOptionFields]-?: MixOption<K> } = {
  cutmixMinMax: {
    spec: { name: "cutmix-minmax", kind: "list", placeholder: "LO,HI", help: "cutmix: the box's height and width drawn uniformly in [LO, HI] times the image's (timm's cutmix_minmax); replaces the Beta(α, α) box area", defaultText: "none: the box's area is about 1 − λ, λ ~ Beta(α, α)" },
    methods: ["cutmix"],
    read: (args, flag) => {
      const items = getList(args, flag);
      if (items === undefined) return undefined;
      const values = items.map(decimal);
      if (minMax(values) !== undefined) throw new UsageError(`mmx train: --${flag} must be LO,HI with 0 <= LO <= HI <= 1 (fractions of the image side), got '${items.join(",")}'`);
      return values as [number, number];
    },
    check: minMax,
  },
  cutmixAlpha: {
    spec: { name: "cutmix-alpha", kind: "number", placeholder: "A", help: "cutmix: with --switch-prob, the box's area is about 1 − λ, λ ~ Beta(A, A), while --alpha is the mixup steps' (timm's cutmix_alpha beside mixup_alpha)", defaultText: "--alpha", min: 0, minExclusive: true },
    methods: ["cutmix"],
    read: number<"cutmixAlpha">(),
    check: above(0),
  },
  switchProb: {
    spec: { name: "switch-prob", kind: "number", placeholder: "P", help: "cutmix, patchup: the probability that a step pastes boxes / swaps blocks rather than mixing with mixup (cutmix: mixup at the input with the same α)", defaultText: "cutmix: every step, patchup: 0.5", min: 0, max: 1 },
    methods: ["cutmix", "patchup"],
    read: number<"switchProb">(),
    check: fraction,
  },
  patchupGamma: {
    spec: { name: "patchup-gamma", kind: "number", placeholder: "G", help: "patchup: about this fraction of the feature grid is altered (PatchUp's γ)", defaultText: "0.5", min: 0, max: 1 },
    methods: ["patchup"],
    read: number<"patchupGamma">(),
    check: fraction,
  },
  patchupBlockSize: {
    spec: { name: "patchup-block-size", kind: "int", placeholder: "N", help: "patchup: the side of a square block, in cells of the feature grid", defaultText: "2", min: 1 },
    methods: ["patchup"],
    read: number<"patchupBlockSize">(),
    check: wholeAtLeast(1),
  },
  patchupMode: {
    spec: { name: "patchup-mode", kind: "string", choices: PATCHUP_MODES, help: "patchup: hard swaps the blocks for the partner's, soft interpolates them with λ ~ Beta(A, A) (--patchup-alpha)", defaultText: "hard" },
    methods: ["patchup"],
    read: text<"patchupMode">(),
    check: oneOf(PATCHUP_MODES),
  },
  patchupAlpha: {
    spec: { name: "patchup-alpha", kind: "number", placeholder: "A", help: "patchup: with --patchup-mode soft, the λ ~ Beta(A, A) that interpolates the blocks", defaultText: "2", min: 0, minExclusive: true },
    methods: ["patchup"],
    read: number<"patchupAlpha">(),
    check: above(0),
  },
  patchUpLoss: {
    spec: { name: "patchup-loss", kind: "flag", help: "cutmix, patchup: PatchUp's objective, ρ·ℓ(own) + (1 − ρ)·ℓ(altered part) + ℓ(mixed targets) per example (the official code's)", defaultText: "off: ℓ(mixed targets) alone" },
    methods: ["cutmix", "patchup"],
    read: (args, flag) => (getFlag(args, flag) ? true : undefined),
    check: boolean,
  },
  noiseAdd: {
    spec: { name: "noise-add", kind: "number", placeholder: "S", help: "nfm: the additive noise level σ_add (N(0, 1) noise, scaled by Beta(2, 5) per step)", defaultText: "0.4", min: 0 },
    methods: ["nfm"],
    read: number<"noiseAdd">(),
    check: atLeast(0),
  },
  noiseMult: {
    spec: { name: "noise-mult", kind: "number", placeholder: "S", help: "nfm: the multiplicative noise level σ_mult (1 + U(−1, 1) noise, scaled by Beta(2, 5) per step)", defaultText: "0.2", min: 0 },
    methods: ["nfm"],
    read: number<"noiseMult">(),
    check: atLeast(0),
  },
  noiseFixedLevels: {
    spec: { name: "noise-fixed-levels", kind: "flag", help: "nfm: add the noise at --noise-add and --noise-mult on every step, instead of scaling each level by a Beta(2, 5) draw per step as the official code does", defaultText: "off" },
    methods: ["nfm"],
    read: (args, flag) => (getFlag(args, flag) ? true : undefined),
    check: boolean,
  },
  regMixupWeight: {
    spec: { name: "regmixup-weight", kind: "number", placeholder: "W", help: "regmixup: the loss is ℓ(clean) + W·ℓ(mixed) (RegMixup's α is --alpha)", defaultText: "1", min: 0 },
    methods: ["regmixup"],
    read: number<"regMixupWeight">(),
    check: atLeast(0),
  },
  ways: {
    spec: { name: "ways", kind: "int", placeholder: "M", help: "examples combined per mixed example: M >= 3 mixes each with M − 1 others, weights ~ Dirichlet(α)", defaultText: "2", min: 2 },
    methods: MIXING,
    read: (args, flag) => {
      const v = getNumber(args, flag);
      return v === 2 ? undefined : v;
    },
    check: wholeAtLeast(2),
  },
  selfPairs: {
    spec: { name: "self-pairs", kind: "flag", help: "let an example be paired with itself, as a random permutation does (--no-self-pairs: every example gets another partner)", defaultText: "on" },
    methods: MIXING,
    read: (args, flag) => (getFlag(args, flag) === false ? false : undefined),
    check: boolean,
  },
  alphaSchedule: {
    spec: { name: "alpha-schedule", kind: "string", choices: ALPHA_SCHEDULES, help: "mixup's α over the run: constant, or cosine from --alpha at the first step to 0 at the last", defaultText: "constant" },
    methods: MIXING,
    read: (args, flag) => {
      const v = getString(args, flag) as AlphaScheduleName | undefined;
      return v === "constant" ? undefined : v;
    },
    check: oneOf(ALPHA_SCHEDULES),
  },
  offEpoch: {
    spec: { name: "mixup-off-epoch", kind: "int", placeholder: "E", help: "train without mixing from epoch E on (0-based: the epochs after the first E)", defaultText: "never: every epoch mixes", min: 1 },
    methods: MIXING,
    read: number<"offEpoch">(),
    check: wholeAtLeast(1),
  },
  bn: {
    spec: { name: "bn-policy", kind: "string", choices: BATCH_STATS_POLICIES, help: "the batch statistics after the mixing boundary: mixed (from the mixed batch), clean (from the clean batch), after (mix past the next normalisation)", defaultText: "mixed" },
    methods: MIXING,
    read: text<"bn">(),
    check: oneOf(BATCH_STATS_POLICIES),
  },
  at: {
    spec: { name: "mix-at", kind: "string", choices: MIX_AT, help: "cut: mix every value crossing the cut at the boundary (a residual block's skip too); tag: the tagged value alone", defaultText: "cut" },
    methods: MIXING,
    read: text<"at">(),
    check: oneOf(MIX_AT),
  },
};

const FIELDS = Object.keys(MIX_OPTIONS) as (keyof MixOptionFields)[];

/** The flags, for `mmx train`'s option table. */
export const MIX_OPTION_SPECS: readonly OptionSpec[] = FIELDS.map((f) => MIX_OPTIONS[f].spec);

const methodList = (methods: readonly Method[]) => methods.map((m) => `--method ${m}`).join(", ");

/** Why a field does not fit a method (the flag or field named by `name`), or undefined. */
function misfit(field: keyof MixOptionFields, method: Method, name: string): string | undefined {
  const { methods } = MIX_OPTIONS[field];
  if (methods.includes(method)) return undefined;
  return methods.length === MIXING.length ? `${name} has no effect with --method ${method}` : `${name} applies to ${methodList(methods)}; this run is --method ${method}`;
}

/** The settings that only mixup (lerp or Dirichlet) steps use: CutMix without a switch probability has none. */
const MIXUP_STEP_FIELDS = ["ways", "alphaSchedule"] as const;

/** Rules between the fields and the rest of the run, in flag words (`flag` names a field as the user gave it). */
function crossCheck(c: MixOptionFields & { method: Method; lambdaMode?: LambdaMode }, flag: (f: keyof MixOptionFields | "lambdaMode") => string): string | undefined {
  if ((c.ways ?? 2) > 2 && c.lambdaMode === "pair") return `${flag("ways")} ${c.ways} mixes more than pairs; it cannot be combined with ${flag("lambdaMode")} pair`;
  if (c.patchupAlpha !== undefined && c.patchupMode !== "soft") return `${flag("patchupAlpha")} is soft PatchUp's α; it needs ${flag("patchupMode")} soft (hard PatchUp swaps the blocks whole)`;
  if (c.cutmixAlpha !== undefined && c.cutmixMinMax !== undefined) return `${flag("cutmixAlpha")} and ${flag("cutmixMinMax")} both choose CutMix's box; give one`;
  if (c.cutmixAlpha !== undefined && c.switchProb === undefined) return `${flag("cutmixAlpha")} sets CutMix's α apart from mixup's, which --method cutmix has only with ${flag("switchProb")} P; without it --alpha is CutMix's`;
  if (c.method === "cutmix" && c.switchProb === undefined) {
    const given = MIXUP_STEP_FIELDS.find((f) => c[f] !== undefined);
    if (given) return `${flag(given)} changes mixup steps, and --method cutmix has none without ${flag("switchProb")} P (the probability of a CutMix step)`;
  }
  return undefined;
}

/** The fields from `mmx train`'s flags, each checked against the method and the rest of the run: a UsageError names the flag. */
export function mixOptionsFromArgs(args: ParsedArgs, method: Method, lambdaMode: LambdaMode | undefined): MixOptionFields {
  const out: Record<string, unknown> = {};
  for (const field of FIELDS) {
    const { spec } = MIX_OPTIONS[field];
    if (args.values[spec.name] === undefined) continue;
    const problem = misfit(field, method, typedOption(args, spec.name));
    if (problem) throw new UsageError(problem);
    const value = MIX_OPTIONS[field].read(args, spec.name);
    if (value !== undefined) out[field] = value;
  }
  const fields = out as MixOptionFields;
  const flagOf = (f: keyof MixOptionFields | "lambdaMode") => typedOption(args, f === "lambdaMode" ? "lambda-mode" : MIX_OPTIONS[f].spec.name);
  const problem = crossCheck({ ...fields, method, ...(lambdaMode ? { lambdaMode } : {}) }, flagOf);
  if (problem) throw new UsageError(problem);
  return fields;
}

/** The schema's rules for the fields of a saved config: each optional, with its check. */
export const MIX_FIELD_RULES: { readonly [K in keyof MixOptionFields]-?: { check: (v: unknown) => string | undefined; optional: true } } = Object.fromEntries(
  FIELDS.map((f) => [f, { check: MIX_OPTIONS[f].check, optional: true }]),
) as { readonly [K in keyof MixOptionFields]-?: { check: (v: unknown) => string | undefined; optional: true } };

/** The schema's rule between the fields and the method of a saved config, in field words. */
export function mixFieldsMisfit(c: MixOptionFields & { method: Method; lambdaMode?: LambdaMode }): string | undefined {
  for (const field of FIELDS) {
    if (c[field] === undefined) continue;
    const problem = misfit(field, c.method, `'${field}'`);
    if (problem) return problem.replace(/--method (\w+)/g, "method '$1'").replace("; this run is", ", not");
  }
  return crossCheck(c, (f) => `'${f}'`);
}

/** How a run's method reads its RegMixup weight: the registry's step options, or none. */
export const stepOptionsOf = (method: Method, fields: MixOptionFields) => {
  const spec = METHOD_REGISTRY[method] as { stepOptions?: (s: { regMixupWeight?: number }) => object };
  return spec.stepOptions ? spec.stepOptions(fields.regMixupWeight !== undefined ? { regMixupWeight: fields.regMixupWeight } : {}) : {};
};

/** The names a sweep spec's `mixFlags` may use: `mmx train`'s flags above, without their dashes (and `no-self-pairs`). */
const SWEEP_NAMES = [...MIX_OPTION_SPECS.map((s) => s.name).filter((n) => n !== "self-pairs"), "no-self-pairs"];

/** A sweep spec's `mixFlags` item ("ways=3", "no-self-pairs"), checked by name; the value is checked when a cell is made. */
export function checkSweepMixFlag(item: unknown, where: string): string {
  const name = typeof item === "string" ? item.split("=")[0]! : "";
  if (!SWEEP_NAMES.includes(name)) throw new UsageError(`${where} must be one of mmx train's mixing flags without dashes (name=value, or a bare flag): ${SWEEP_NAMES.join(", ")}; got ${JSON.stringify(item)}`);
  return item as string;
}

/** The `mmx train` flags of a sweep's `mixFlags` that change `method` (the others do not apply to its cells). */
export function sweepMixFlagsFor(method: Method, items: readonly string[]): string[] {
  return items
    .filter((item) => {
      const name = item.split("=")[0]!;
      const spec = MIX_OPTION_SPECS.find((s) => s.name === (name === "no-self-pairs" ? "self-pairs" : name))!;
      const field = FIELDS.find((f) => MIX_OPTIONS[f].spec === spec)!;
      return MIX_OPTIONS[field].methods.includes(method);
    })
    .map((item) => `--${item}`);
}

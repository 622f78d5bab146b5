import { typedOption, type OptionSpec, type ParsedArgs } from "../args.js";
import { TRAIN_OPTIONS, trainConfigFromArgs } from "../config.js";
import { UsageError } from "../errors.js";
import { METHOD_REGISTRY, METHODS, type Method } from "../methods.js";
import { MIX_OPTIONS, type MixOptionFields } from "../mix-options.js";
import type { MethodOptions, MethodPlan } from "./method-plans.js";

/** `mmx train`'s flags of the step that `mmx reproduce` passes on: λ's sharing, label smoothing, steps per call, and the algebra's. */
const STEP_FLAGS = ["lambda-mode", "lambda-max", "label-smoothing", "steps-per-call"];
const MIX_FIELDS = Object.keys(MIX_OPTIONS) as (keyof MixOptionFields)[];

export const REPRODUCE_MIX_OPTIONS: readonly OptionSpec[] = [...TRAIN_OPTIONS.filter((o) => STEP_FLAGS.includes(o.name)), ...MIX_FIELDS.map((f) => MIX_OPTIONS[f].spec)];

/** The methods a flag changes: label smoothing every method's targets, steps per call every method's loop, λ's sharing every mixing method's. */
function methodsOf(flag: string): readonly Method[] {
  if (flag === "label-smoothing" || flag === "steps-per-call") return METHODS;
  if (flag === "lambda-mode" || flag === "lambda-max") return METHODS.filter((m) => METHOD_REGISTRY[m].placement !== "nowhere");
  return MIX_OPTIONS[MIX_FIELDS.find((f) => MIX_OPTIONS[f].spec.name === flag)!].methods;
}

/** The fields of a run's config these flags set (as `mmx train` records them). */
const OPTION_FIELDS: readonly (keyof MethodOptions)[] = ["lambdaMode", "lambdaMax", "labelSmoothing", "stepsPerCall", ...MIX_FIELDS];

/**
 * The compared methods with `mmx train`'s step flags given to `mmx reproduce`: each flag goes to the methods it
 * changes (as a sweep's `mixFlags` do), read and checked as `mmx train` reads them, so every run of a method,
 * sequential or `--vmap-seeds`, trains with the same options. A flag that changes none of the compared methods, and
 * a flag that contradicts a method's other settings, is a one-line error naming it.
 */
export function withMixFlags(args: ParsedArgs, methods: readonly MethodPlan[]): MethodPlan[] {
  const given = REPRODUCE_MIX_OPTIONS.map((o) => o.name).filter((n) => args.values[n] !== undefined);
  for (const flag of given) {
    const fits = methodsOf(flag);
    if (!methods.some((m) => fits.includes(m.method))) {
      throw new UsageError(`mmx reproduce: ${typedOption(args, flag)} changes ${fits.join(", ")}; none of the compared methods (${methods.map((m) => m.method).join(", ")}) is one`);
    }
  }
  if (given.length === 0) return [...methods];
  return methods.map((plan) => {
    const values = Object.fromEntries(given.filter((f) => methodsOf(f).includes(plan.method)).map((f) => [f, args.values[f]!]));
    let config: ReturnType<typeof trainConfigFromArgs>;
    try {
      config = trainConfigFromArgs({ values: { ...values, method: plan.method }, positionals: [], help: false });
    } catch (e) {
      if (e instanceof UsageError) throw new UsageError(`mmx reproduce: --methods ${plan.method}: ${e.message.replace(/^mmx train: /, "")}`);
      throw e;
    }
    const options = Object.fromEntries(OPTION_FIELDS.filter((f) => config[f] !== undefined).map((f) => [f, config[f]])) as MethodOptions;
    return Object.keys(options).length > 0 ? { ...plan, options } : plan;
  });
}

/** The flag of each field. */
const FLAG_OF = { lambdaMode: "lambda-mode", lambdaMax: "lambda-max", labelSmoothing: "label-smoothing", stepsPerCall: "steps-per-call", ...Object.fromEntries(MIX_FIELDS.map((f) => [f, MIX_OPTIONS[f].spec.name])) } as Record<keyof MethodOptions, string>;

/** The flags that gave the plans their options, as typed again (" --lambda-mode elem --no-self-pairs"; "" for none). */
export function mixFlagsText(methods: readonly MethodPlan[]): string {
  const union: Partial<Record<keyof MethodOptions, unknown>> = Object.assign({}, ...methods.map((m) => m.options ?? {}));
  return OPTION_FIELDS.filter((f) => union[f] !== undefined)
    .map((f) => {
      const v = union[f];
      const spec = REPRODUCE_MIX_OPTIONS.find((o) => o.name === FLAG_OF[f])!;
      if (spec.kind === "flag") return v ? ` --${spec.name}` : ` --no-${spec.name}`;
      return ` --${spec.name} ${Array.isArray(v) ? v.join(",") : String(v)}`;
    })
    .join("");
}

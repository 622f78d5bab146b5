import { didYouMean, listChoices, UsageError } from "../errors.js";
import type { TrainConfig } from "../config.js";
import { METHOD_REGISTRY, METHODS, type Method } from "../methods.js";
import type { MixOptionFields } from "../mix-options.js";

/** A method's step options, from `mmx train`'s flags given to `mmx reproduce` (see ./mix-flags.ts). */
export type MethodOptions = Pick<TrainConfig, "lambdaMode" | "lambdaMax" | "labelSmoothing" | "stepsPerCall"> & MixOptionFields;

/**
 * One column of the comparison: a method with its α, and for an eligible-set comparison (the paper's
 * Table 5) the set itself, as boundary indices or names. Without `layers` a method mixes where its
 * registry entry says (manifold mixup: the model's own mixing set).
 */
export interface MethodPlan {
  method: Method;
  alpha: number;
  layers?: readonly string[];
  /** Its runs' step options beside the defaults (absent: none). */
  options?: MethodOptions;
}

/** The paper's settings: no mixup, input mixup with α = 1, manifold mixup with α = 2. */
export const PAPER_METHODS: readonly MethodPlan[] = (["none", "input", "manifold"] as const).map((method) => ({ method, alpha: METHOD_REGISTRY[method].alpha }));

/** The part of a run folder's name that tells the plans apart: `manifold`, or `manifold-0-1` for the set {0,1}. */
export const planKey = (m: MethodPlan): string => (m.layers ? `${m.method}-${m.layers.join("-")}` : m.method);

/** As tables and plots name a plan: "manifold mixup", or "manifold mixup {0,1}". */
export const planTitle = (m: MethodPlan): string => `${METHOD_REGISTRY[m.method].title}${m.layers ? ` {${m.layers.join(",")}}` : ""}`;

/** `--methods none,input,manifold`: each name from the registry, at its default α, once. */
export function methodPlans(names: readonly string[]): MethodPlan[] {
  const seen = new Set<string>();
  return names.map((name) => {
    if (!(METHODS as readonly string[]).includes(name)) throw new UsageError(`mmx reproduce: --methods: unknown method '${name}'${didYouMean(name, METHODS)}; valid methods: ${listChoices(METHODS)}`);
    if (seen.has(name)) throw new UsageError(`mmx reproduce: --methods lists '${name}' twice`);
    seen.add(name);
    const method = name as Method;
    return { method, alpha: METHOD_REGISTRY[method].alpha };
  });
}

/**
 * `--eligible-sets "0;0,1;0,1,2;1,2"`: one manifold-mixup plan per set (boundary indices or names, comma-separated;
 * sets separated by ';'), all at manifold mixup's α; `{}` (or `none`) is the empty set, training without mixup.
 * Whether each boundary exists is checked against each model when the runs are planned.
 */
export function eligibleSetPlans(text: string): MethodPlan[] {
  const where = "mmx reproduce: --eligible-sets";
  const sets = text.split(";").map((s) => s.trim().replace(/^\{(.*)\}$/, "$1").trim());
  const seen = new Set<string>();
  return sets.map((set, i) => {
    if (set === "" && text.split(";")[i]!.trim() === "") throw new UsageError(`${where}: set ${i + 1} of '${text}' is empty; write the empty set as {} (no mixup)`);
    const key = set === "none" ? "" : set.split(",").map((s) => s.trim()).join(",");
    if (seen.has(key)) throw new UsageError(`${where} lists the set {${key}} twice`);
    seen.add(key);
    if (key === "") return { method: "none", alpha: 0 };
    const refs = key.split(",");
    if (refs.some((r) => r === "")) throw new UsageError(`${where}: set '${set}' has an empty item; write boundaries as 0,1,2`);
    if (new Set(refs).size !== refs.length) throw new UsageError(`${where}: set {${key}} lists a boundary twice`);
    return { method: "manifold", alpha: METHOD_REGISTRY.manifold.alpha, layers: refs };
  });
}

import { Var, type DType, type Jaxpr } from "@mmx/core";
import type { BatchRole } from "./batch-roles.js";
import { resultsOf } from "./results.js";

/**
 * A cut of a model's program: the equations before `position` (the prefix) and those from it on (the
 * suffix). A value crosses the cut when the prefix (or the program's input) defines it and the suffix or the
 * program's outputs read it. Boundary k's cut sits right after its `tag` equation (before every equation
 * for k = 0): it holds the tag's output and everything else still live there, a residual block's skip
 * path included.
 */
export interface Cut {
  readonly position: number;
  /** Every value that crosses, in definition order (inputs first). */
  readonly live: readonly Var[];
  /** Per-example float values that cross: what cut-point mixing interpolates, along `axis`. */
  readonly mixed: readonly { readonly v: Var; readonly axis: number }[];
  /** Batch statistics computed before the cut and read by equations after it: they stay as the clean batch gave them. */
  readonly statistics: readonly Var[];
  /** Values the suffix reads that cannot be interpolated, and why. */
  readonly blocked: readonly { readonly v: Var; readonly reason: string }[];
}

const isFloat = (dtype: DType) => dtype === "float32";

/**
 * The values crossing the cut before equation `position`, in definition order. `carries` restricts which
 * per-example values are mixed (the tag mode mixes only what carries the tagged value forward).
 */
export function cutAt(jaxpr: Jaxpr, position: number, roles: ReadonlyMap<Var, BatchRole>, carries: (v: Var) => boolean = () => true): Cut {
  const definedBefore = new Set<Var>(jaxpr.inBinders);
  jaxpr.eqns.slice(0, position).forEach((e) => resultsOf(e).forEach((v) => definedBefore.add(v)));
  const readByEqns = new Set<Var>();
  const readByOuts = new Set<Var>();
  for (const e of jaxpr.eqns.slice(position)) for (const a of e.inputs) if (a instanceof Var && definedBefore.has(a)) readByEqns.add(a);
  for (const a of jaxpr.outs) if (a instanceof Var && definedBefore.has(a)) readByOuts.add(a);
  const live = [...jaxpr.inBinders, ...jaxpr.eqns.slice(0, position).flatMap(resultsOf)].filter((v) => readByEqns.has(v) || readByOuts.has(v));
  const mixed: { v: Var; axis: number }[] = [];
  const statistics: Var[] = [];
  const blocked: { v: Var; reason: string }[] = [];
  for (const v of live) {
    const role = roles.get(v)!;
    if (role.kind === "statistic") {
      if (readByEqns.has(v)) statistics.push(v);
    } else if (role.kind === "independent" || !carries(v)) {
      continue;
    } else if (role.kind === "entangled") {
      // An output computed before the cut passes through as it is; only what the suffix reads must be mixable.
      if (readByEqns.has(v)) blocked.push({ v, reason: role.reason });
    } else if (!isFloat(v.aval.dtype)) {
      if (readByEqns.has(v)) blocked.push({ v, reason: `it is ${v.aval} (per-example, but only float values can be interpolated)` });
    } else {
      mixed.push({ v, axis: role.axis });
    }
  }
  return { position, live, mixed, statistics, blocked };
}

/** The variables computed from `from` (itself included), within the first `upTo` equations. */
export function descendants(jaxpr: Jaxpr, from: Var, upTo: number): Set<Var> {
  const found = new Set<Var>([from]);
  for (const e of jaxpr.eqns.slice(0, upTo)) if (e.inputs.some((a) => a instanceof Var && found.has(a))) resultsOf(e).forEach((v) => found.add(v));
  return found;
}

/**
 * Where "mix only after batch norm" moves the cut at `position`: past the normalisation of the first batch
 * statistic that straddles the cut or, when none does, of the first one computed after it (a reduction
 * over the examples). The normalisation is every equation traced in that statistic's scope (the layer's
 * path); the moved cut sits after the last of them. Without a statistic after the cut it stays.
 */
export function pastNormalisation(jaxpr: Jaxpr, position: number, roles: ReadonlyMap<Var, BatchRole>, crossingStatistics: readonly Var[], what: string): number {
  const eqnIndex = new Map(jaxpr.eqns.flatMap((e, i) => resultsOf(e).map((v) => [v, i] as const)));
  const straddling = crossingStatistics.map((v) => eqnIndex.get(v)).find((i) => i !== undefined);
  const first =
    straddling ??
    jaxpr.eqns.findIndex((e, i) => i >= position && roles.get(e.out)?.kind === "statistic" && e.inputs.some((a) => a instanceof Var && roles.get(a)?.kind === "batch"));
  if (first === undefined || first < 0) return position;
  const stat = jaxpr.eqns[first]!;
  const scope = stat.scope;
  if (scope === "") {
    throw new TypeError(`${what}: bn "after" needs the batch statistic (${stat.primitive} ${stat.out.aval}) in a named scope, to know where its normalisation ends; trace the layer inside namedScope(name, ...)`);
  }
  const inside = (s: string) => s === scope || s.startsWith(`${scope}.`);
  let last = position - 1;
  jaxpr.eqns.forEach((e, i) => {
    if (inside(e.scope)) last = Math.max(last, i);
  });
  return last + 1;
}

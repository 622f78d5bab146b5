import type { Var } from "@mmx/core";
import { resultsOf } from "./results.js";
import type { TracedModel } from "./trace-model.js";

/** Model functions (or whatever key the caller gives) and the boundaries they were warned about. */
const warned = new WeakMap<object, Set<number>>();

/** The one-line warning that a boundary sits between a batch statistic and its use: once per model function and boundary. */
export function warnStraddle(what: string, model: TracedModel, k: number, statistics: readonly Var[], onWarning: (message: string) => void, warnKey: object): void {
  const seen = warned.get(warnKey) ?? new Set<number>();
  warned.set(warnKey, seen);
  if (seen.has(k)) return;
  seen.add(k);
  const eqnOf = new Map(model.closed.jaxpr.eqns.flatMap((e) => resultsOf(e).map((v) => [v, e] as const)));
  const scopes = [...new Set(statistics.map((v) => eqnOf.get(v)?.scope ?? ""))].map((s) => (s === "" ? "(top level)" : `"${s}"`));
  const name = k === 0 ? "input" : model.tags[k - 1]!.params.name;
  onWarning(
    `${what}: boundary ${k} "${name}" sits between the batch statistics of ${scopes.join(", ")} and their use: the mixed batch is normalised with statistics of the clean one (bn: "clean" asks for that everywhere; bn: "after" mixes after the normalisation)`,
  );
}

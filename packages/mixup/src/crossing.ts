import type { DType, Var } from "@mmx/core";
import { resultsOf } from "./results.js";
import type { TracedModel } from "./trace-model.js";

/** A value that crosses a boundary's cut, as the boundary listing shows it. */
export interface CrossingValue {
  /** What makes it: "x" (the model's input), "tag <name>", or the primitive of its defining equation ("add"). */
  readonly madeBy: string;
  /** The layer path (named scope) its defining equation was traced in; "" at the top level or for x. */
  readonly scope: string;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

export function crossingValue(model: TracedModel, v: Var): CrossingValue {
  const eqn = model.closed.jaxpr.eqns.find((e) => resultsOf(e).includes(v));
  const madeBy = eqn ? (eqn.primitive === "tag" ? `tag ${(eqn.params as { name: string }).name}` : eqn.primitive) : v === model.closed.jaxpr.inBinders[model.xInput] ? "x" : "an input";
  return { madeBy, scope: eqn?.scope ?? "", shape: v.aval.shape, dtype: v.aval.dtype };
}

/** "the f32[4,8] value made by add in \"block\"": how messages name a value. */
export function describeValue(model: TracedModel, v: Var): string {
  const c = crossingValue(model, v);
  return `the ${v.aval} value made by ${c.madeBy}${c.scope ? ` in "${c.scope}"` : ""}`;
}

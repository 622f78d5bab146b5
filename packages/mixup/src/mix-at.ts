import { dce, evalJaxpr, Jaxpr, np, type Array, type Var } from "@mmx/core";
import { batchRoles } from "./batch-roles.js";
import { cutAt, descendants, pastNormalisation, type Cut } from "./cut.js";
import { describeValue } from "./crossing.js";
import type { Placement } from "./placement.js";
import { resultsOf } from "./results.js";
import { warnStraddle } from "./straddle-warning.js";
import type { TracedModel } from "./trace-model.js";

/** Mixes one value whose examples lie on axis 0 (what the mixup transform's mixing does). */
export type MixFn = (h: Array) => Array;

/** Where boundary k's cut sits: after its tag, or before every equation for the input. */
export function boundaryPosition(model: TracedModel, k: number): number {
  return k === 0 ? 0 : model.closed.jaxpr.eqns.indexOf(model.tags[k - 1]!) + 1;
}

/** The value boundary k names: x, or its tag's output. */
export function boundaryValue(model: TracedModel, k: number): Var {
  return k === 0 ? model.closed.jaxpr.inBinders[model.xInput]! : model.tags[k - 1]!.out;
}

/** The cut that mixing at boundary k under this placement acts at (after moving it past batch norm for bn "after"). */
export function placedCut(what: string, model: TracedModel, k: number, placement: Pick<Placement, "at" | "bn">, roles = batchRoles(model.closed.jaxpr, model.xInput)): Cut {
  const { jaxpr } = model.closed;
  const start = boundaryPosition(model, k);
  const origin = boundaryValue(model, k);
  // The tag mode mixes only what carries the tagged value forward: at the tag, that value alone.
  const carries = (position: number) => {
    if (placement.at === "cut") return undefined;
    const reach = descendants(jaxpr, origin, position);
    return (v: Var) => reach.has(v);
  };
  let cut = cutAt(jaxpr, start, roles, carries(start));
  if (placement.bn === "after") {
    const moved = pastNormalisation(jaxpr, start, roles, cut.statistics, what);
    if (moved !== start) cut = cutAt(jaxpr, moved, roles, carries(moved));
  }
  return cut;
}

/**
 * The model's outputs with the mixing applied at boundary k, as the placement says. The tag mode with batch
 * statistics from the mixed batch is the original transform: the tag's value replaced by its mixture, read
 * by everything after it. Every other placement splits the program at its cut: the prefix runs on the
 * batch, each per-example value crossing the cut is mixed, and the suffix runs on what crossed.
 */
export function mixAtBoundary(what: string, model: TracedModel, k: number, mix: MixFn, placement: Placement, warnKey: object): Array[] {
  const { closed } = model;
  const { jaxpr } = closed;
  const roles = batchRoles(jaxpr, model.xInput);
  const cut = placedCut(what, model, k, placement, roles);
  if (cut.statistics.length > 0 && placement.bn !== "clean") warnStraddle(what, model, k, cut.statistics, placement.onWarning, warnKey);
  if (placement.at === "tag" && placement.bn === "mixed") {
    if (k === 0) return evalJaxpr(closed, model.inputs.map((a, i) => (i === model.xInput ? mix(a) : a)));
    const tagEqn = model.tags[k - 1];
    return evalJaxpr(closed, model.inputs, { interpret: (eqn, _ops, evalDefault) => (eqn === tagEqn ? mix(evalDefault()) : evalDefault()) });
  }
  for (const { v, reason } of cut.blocked) {
    throw new TypeError(`${what}: cannot mix at boundary ${k}: ${describeValue(model, v)} crosses the cut but ${reason}`);
  }
  const { constVars, inBinders, eqns, outs } = jaxpr;
  const prefixEqns = eqns.slice(0, cut.position);
  const suffixEqns = eqns.slice(cut.position);
  const binderSet = new Set(inBinders);
  const prefixOuts = cut.live.filter((v) => !binderSet.has(v));
  const prefixValues = evalJaxpr(new Jaxpr(constVars, inBinders, prefixEqns, prefixOuts), model.inputs, { consts: closed.consts });
  const clean = new Map<Var, Array>(inBinders.map((v, i) => [v, model.inputs[i]!]));
  prefixOuts.forEach((v, i) => clean.set(v, prefixValues[i]!));
  const mixedValues = new Map(clean);
  for (const { v, axis } of cut.mixed) mixedValues.set(v, alongAxis(mix, clean.get(v)!, axis));
  const suffixBinders = [...inBinders, ...prefixOuts];
  if (placement.bn !== "clean") {
    return evalJaxpr(new Jaxpr(constVars, suffixBinders, suffixEqns, outs), suffixBinders.map((v) => mixedValues.get(v)!), { consts: closed.consts });
  }
  // Statistics from the clean batch: the suffix runs on the clean values up to every statistic it computes,
  // and the mixed suffix reads those instead of computing its own.
  const statistics = suffixEqns.filter((e) => resultsOf(e).length === 1 && roles.get(e.out)?.kind === "statistic").map((e) => e.out);
  const cleanStats = statistics.length === 0 ? [] : evalJaxpr(dce(new Jaxpr(constVars, suffixBinders, suffixEqns, statistics)), suffixBinders.map((v) => clean.get(v)!), { consts: closed.consts });
  const given = new Set(statistics);
  const mixedSuffix = dce(new Jaxpr(constVars, [...suffixBinders, ...statistics], suffixEqns.filter((e) => !given.has(e.out)), outs));
  return evalJaxpr(mixedSuffix, [...suffixBinders.map((v) => mixedValues.get(v)!), ...cleanStats], { consts: closed.consts });
}

/** Applies an axis-0 mixing to a value whose examples lie on `axis`. */
function alongAxis(mix: MixFn, h: Array, axis: number): Array {
  if (axis === 0) return mix(h);
  const toFront = [axis, ...h.shape.map((_, i) => i).filter((i) => i !== axis)];
  const back = h.shape.map((_, i) => toFront.indexOf(i));
  return np.transpose(mix(np.transpose(h, toFront)), back);
}

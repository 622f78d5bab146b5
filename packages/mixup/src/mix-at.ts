import { eqnOuts, dce, evalJaxpr, Jaxpr, np, type Array, type Atom, type Var } from "@mmx/core";
import { batchRoles } from "./batch-roles.js";
import { cutAt, descendants, pastNormalisation, type Cut } from "./cut.js";
import { describeValue } from "./crossing.js";
import type { Placement } from "./placement.js";
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
 * by everything after it. Every other placement splits the program at its cut (`mixAtBoundaries`).
 */
export function mixAtBoundary(what: string, model: TracedModel, k: number, mix: MixFn, placement: Placement, warnKey: object): Array[] {
  if (placement.at === "tag" && placement.bn === "mixed") {
    const cut = placedCut(what, model, k, placement);
    if (cut.statistics.length > 0) warnStraddle(what, model, k, cut.statistics, placement.onWarning, warnKey);
    const { closed } = model;
    if (k === 0) return evalJaxpr(closed, model.inputs.map((a, i) => (i === model.xInput ? mix(a) : a)));
    const tagEqn = model.tags[k - 1];
    return evalJaxpr(closed, model.inputs, { interpret: (eqn, _ops, evalDefault) => (eqn === tagEqn ? mix(evalDefault()) : evalDefault()) });
  }
  return mixAtBoundaries(what, model, [{ k, mix }], placement, warnKey);
}

/**
 * The model's outputs with each boundary's mixing applied at its cut, as the placement says. The program runs
 * segment by segment between the cuts, in program order: the values crossing a cut are mixed before the next
 * segment reads them. With statistics from the clean batch, every batch statistic after the first cut is computed
 * from the clean values there, and the mixed program reads those. The scanned training step mixes at every
 * eligible layer this way, all but one mixing the identity (λ = 1): until the drawn layer's cut the batch is
 * clean, so the statistics are the ones mixing there alone would see.
 */
export function mixAtBoundaries(what: string, model: TracedModel, mixes: readonly { k: number; mix: MixFn }[], placement: Placement, warnKey: object): Array[] {
  const { closed } = model;
  const { jaxpr } = closed;
  const { constVars, inBinders, eqns, outs } = jaxpr;
  const roles = batchRoles(jaxpr, model.xInput);
  const cuts = mixes
    .map(({ k, mix }) => {
      const cut = placedCut(what, model, k, placement, roles);
      if (cut.statistics.length > 0 && placement.bn !== "clean") warnStraddle(what, model, k, cut.statistics, placement.onWarning, warnKey);
      for (const { v, reason } of cut.blocked) {
        throw new TypeError(`${what}: cannot mix at boundary ${k}: ${describeValue(model, v)} crosses the cut but ${reason}`);
      }
      return { cut, mix };
    })
    .sort((a, b) => a.cut.position - b.cut.position);

  const env = new Map<Var, Array>(inBinders.map((v, i) => [v, model.inputs[i]!]));
  /** Batch statistics given from the clean batch: their equations do not run again on mixed values. */
  let given = new Set<Var>();
  /** Runs equations [from, to) on the values in env and returns `wanted`'s values. */
  const run = (from: number, to: number, wanted: readonly Atom[]): Array[] => {
    const binders = [...env.keys()];
    const segment = eqns.slice(from, to).filter((e) => !given.has(e.out));
    return evalJaxpr(dce(new Jaxpr(constVars, binders, segment, wanted)), binders.map((v) => env.get(v)!), { consts: closed.consts });
  };
  const runInto = (from: number, to: number, wanted: readonly Var[]) => {
    const missing = wanted.filter((v) => !env.has(v));
    run(from, to, missing).forEach((a, i) => env.set(missing[i]!, a));
  };

  let position = 0;
  cuts.forEach(({ cut, mix }, i) => {
    runInto(position, cut.position, cut.live);
    position = cut.position;
    if (i === 0 && placement.bn === "clean") {
      const statistics = eqns.slice(position).filter((e) => eqnOuts(e).length === 1 && roles.get(e.out)?.kind === "statistic").map((e) => e.out);
      if (statistics.length > 0) runInto(position, eqns.length, statistics);
      given = new Set(statistics);
    }
    for (const { v, axis } of cut.mixed) env.set(v, alongAxis(mix, env.get(v)!, axis));
  });
  return run(position, eqns.length, outs);
}

/** Applies an axis-0 mixing to a value whose examples lie on `axis`. */
function alongAxis(mix: MixFn, h: Array, axis: number): Array {
  if (axis === 0) return mix(h);
  const toFront = [axis, ...h.shape.map((_, i) => i).filter((i) => i !== axis)];
  const back = h.shape.map((_, i) => toFront.indexOf(i));
  return np.transpose(mix(np.transpose(h, toFront)), back);
}

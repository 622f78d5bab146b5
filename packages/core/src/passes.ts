import { Jaxpr, Var, type Eqn } from "./jaxpr.js";

/** Dead-code elimination: drops equations whose results no output needs (every primitive is pure). */
export function dce(jaxpr: Jaxpr): Jaxpr {
  const live = new Set<Var>(jaxpr.outs.filter((a): a is Var => a instanceof Var));
  const kept: Eqn[] = [];
  for (let i = jaxpr.eqns.length - 1; i >= 0; i--) {
    const eqn = jaxpr.eqns[i]!;
    if (!live.has(eqn.out)) continue;
    kept.push(eqn);
    for (const a of eqn.inputs) if (a instanceof Var) live.add(a);
  }
  kept.reverse();
  return kept.length === jaxpr.eqns.length ? jaxpr : new Jaxpr(jaxpr.constVars, jaxpr.inBinders, kept, jaxpr.outs);
}

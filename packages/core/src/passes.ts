import { eqnOuts, Jaxpr, Var, type Atom, type Eqn } from "./jaxpr.js";

/** Dead-code elimination: drops equations whose results no output needs (every primitive is pure). */
export function dce(jaxpr: Jaxpr): Jaxpr {
  const live = new Set<Var>(jaxpr.outs.filter((a): a is Var => a instanceof Var));
  const kept: Eqn[] = [];
  for (let i = jaxpr.eqns.length - 1; i >= 0; i--) {
    const eqn = jaxpr.eqns[i]!;
    if (!eqnOuts(eqn).some((v) => live.has(v))) continue;
    kept.push(eqn);
    for (const a of eqn.inputs) if (a instanceof Var) live.add(a);
  }
  kept.reverse();
  return kept.length === jaxpr.eqns.length ? jaxpr : new Jaxpr(jaxpr.constVars, jaxpr.inBinders, kept, jaxpr.outs);
}

/**
 * Removes identity equations (tag, stop_gradient): every later reader, and the outputs, read the
 * identity's operand instead. Executors run what is left; transforms keep the identities.
 */
export function inlineIdentities(jaxpr: Jaxpr, identities: ReadonlySet<string>): Jaxpr {
  const alias = new Map<Var, Atom>();
  const resolve = (a: Atom): Atom => (a instanceof Var && alias.has(a) ? alias.get(a)! : a);
  const kept: Eqn[] = [];
  for (const eqn of jaxpr.eqns) {
    if (identities.has(eqn.primitive)) {
      alias.set(eqn.out, resolve(eqn.inputs[0]!));
      continue;
    }
    kept.push(eqn.inputs.some((a) => a instanceof Var && alias.has(a)) ? { ...eqn, inputs: eqn.inputs.map(resolve) } : eqn);
  }
  if (alias.size === 0) return jaxpr;
  return new Jaxpr(jaxpr.constVars, jaxpr.inBinders, kept, jaxpr.outs.map(resolve));
}

import { Literal, Var, type Atom, type Eqn } from "@mmx/core";

/** `mul(x, k)` or `mul(k, x)` with k a literal and x a variable, as the atom `a` is produced: x and k; else undefined. */
export function literalScale(a: Atom, producer: Map<Var, Eqn>): { x: Var; k: number } | undefined {
  const e = a instanceof Var ? producer.get(a) : undefined;
  if (e?.primitive !== "mul") return undefined;
  const [p, q] = e.inputs as [Atom, Atom];
  if (q instanceof Literal && p instanceof Var) return { x: p, k: q.value };
  if (p instanceof Literal && q instanceof Var) return { x: q, k: p.value };
  return undefined;
}

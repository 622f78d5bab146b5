import { Jaxpr, Literal, Var, type Atom, type Eqn } from "@mmx/core";
import { literalScale } from "./literal-scale.js";

/**
 * Nesterov momentum, as torch.optim.SGD writes it: `buf' = β'·buf + g`, then the step direction
 * `g + β·buf'`. The gradient g is read twice, so its matmul cannot become the Gemm that accumulates
 * into the buffer (the gemm-accumulate fusion needs a product read once). Since g = buf' − β'·buf,
 * the direction equals `(1+β)·buf' − β'·buf`, which reads g once (and differs by rounding only). This
 * rewrite finds `add(g, mul(buf', β))` over `buf' = add(mul(buf, β'), g)`, g a 2-D matmul, all of one
 * shape and β, β' literals, and writes it that way; the optimizer keeps the textbook form.
 */
export function readGradientOnce(jaxpr: Jaxpr): Jaxpr {
  const producer = new Map<Var, Eqn>();
  for (const e of jaxpr.eqns) producer.set(e.out, e);
  const replaced = new Map<Eqn, Eqn[]>();
  for (const e of jaxpr.eqns) {
    const match = e.primitive === "add" ? nesterovDirection(e, producer) : undefined;
    if (!match) continue;
    const scaled = new Var(match.buf.aval);
    replaced.set(e, [
      { primitive: "mul", inputs: [match.buf, new Literal(1 + match.beta, "float32")], params: {}, out: scaled, scope: e.scope } as Eqn,
      { primitive: "sub", inputs: [scaled, match.decayed], params: {}, out: e.out, scope: e.scope } as Eqn,
    ]);
  }
  if (replaced.size === 0) return jaxpr;
  return new Jaxpr(jaxpr.constVars, jaxpr.inBinders, jaxpr.eqns.flatMap((e) => replaced.get(e) ?? [e]), jaxpr.outs);
}

/** `add(g, mul(buf', β))` with `buf' = add(mul(buf, β'), g)`: the new buffer, β, and the var of β'·buf. */
function nesterovDirection(e: Eqn, producer: Map<Var, Eqn>): { buf: Var; beta: number; decayed: Var } | undefined {
  const sameShape = (a: Atom) => a.aval.dtype === "float32" && a.aval.ndim === e.out.aval.ndim && a.aval.shape.every((d, i) => d === e.out.aval.shape[i]);
  for (const [g, s] of [e.inputs, [...e.inputs].reverse()] as [Atom, Atom][]) {
    if (!(g instanceof Var) || producer.get(g)?.primitive !== "matmul" || g.aval.ndim !== 2 || !sameShape(g)) continue;
    const step = literalScale(s, producer);
    const update = step ? producer.get(step.x) : undefined;
    if (!step || update?.primitive !== "add" || !sameShape(step.x)) continue;
    const [u, v] = update.inputs as [Atom, Atom];
    const decayed = u === g ? v : v === g ? u : undefined;
    if (!(decayed instanceof Var) || !sameShape(decayed) || !literalScale(decayed, producer)) continue;
    return { buf: step.x, beta: step.k, decayed };
  }
  return undefined;
}

import { Jaxpr, Literal, Var, type Atom, type Eqn } from "@mmx/core";
import { literalScale } from "./literal-scale.js";

/**
 * The parameter update after `readGradientOnce`: `p + s·((1+β)·buf' − β'·buf)` (s the step scale,
 * `-lr`, a scalar). Written so, it is five passes over the weight: β'·buf (which the new buffer's Gemm
 * cannot absorb, since the direction reads it too), the scaled buffer, the difference, the step and
 * the sum. This rewrite distributes the scale: `(p + (s·(1+β))·buf') + (s·(−β'))·buf`, four passes,
 * and β'·buf is then read only by the Gemm that accumulates into the buffer, which takes it as its
 * beta. The values differ by rounding only.
 */
export function distributeNesterovStep(jaxpr: Jaxpr): Jaxpr {
  const producer = new Map<Var, Eqn>();
  for (const e of jaxpr.eqns) producer.set(e.out, e);
  const readers = new Map<Var, number>();
  const read = (a: Atom) => a instanceof Var && readers.set(a, (readers.get(a) ?? 0) + 1);
  for (const e of jaxpr.eqns) e.inputs.forEach(read);
  jaxpr.outs.forEach(read);
  const replaced = new Map<Eqn, Eqn[]>();
  for (const e of jaxpr.eqns) {
    const m = e.primitive === "add" ? nesterovStep(e, producer, readers) : undefined;
    if (!m) continue;
    const scalar = (x: Atom, k: number): [Var, Eqn] => {
      const v = new Var(x.aval);
      return [v, { primitive: "mul", inputs: [x, new Literal(k, "float32")], params: {}, out: v, scope: e.scope } as Eqn];
    };
    const [c1, c1Eqn] = scalar(m.scale, m.a);
    const [c2, c2Eqn] = scalar(m.scale, -m.b);
    const t = new Var(e.out.aval);
    const u = new Var(e.out.aval);
    const v = new Var(e.out.aval);
    const eqn = (primitive: string, inputs: Atom[], out: Var) => ({ primitive, inputs, params: {}, out, scope: e.scope }) as Eqn;
    replaced.set(e, [c1Eqn, c2Eqn, eqn("mul", [m.next, c1], t), eqn("mul", [m.buf, c2], u), eqn("add", [m.p, t], v), eqn("add", [v, u], e.out)]);
  }
  if (replaced.size === 0) return jaxpr;
  return new Jaxpr(jaxpr.constVars, jaxpr.inBinders, jaxpr.eqns.flatMap((e) => replaced.get(e) ?? [e]), jaxpr.outs);
}

interface Match {
  p: Atom;
  scale: Atom;
  next: Var;
  a: number;
  buf: Var;
  b: number;
}

/** `add(p, mul(sub(mul(buf', a), mul(buf, b)), s))` (either order of add and the outer mul), s a float32 scalar. */
function nesterovStep(e: Eqn, producer: Map<Var, Eqn>, readers: Map<Var, number>): Match | undefined {
  const shape = e.out.aval.shape;
  const sameShape = (a: Atom) => a.aval.dtype === "float32" && a.aval.ndim === shape.length && a.aval.shape.every((d, i) => d === shape[i]);
  const once = (a: Atom): a is Var => a instanceof Var && readers.get(a) === 1;
  if (!sameShape(e.out)) return undefined;
  for (const [p, upd] of [e.inputs, [...e.inputs].reverse()] as [Atom, Atom][]) {
    if (!sameShape(p) || !once(upd)) continue;
    const step = producer.get(upd);
    if (step?.primitive !== "mul") continue;
    for (const [dir, scale] of [step.inputs, [...step.inputs].reverse()] as [Atom, Atom][]) {
      if (!once(dir) || scale.aval.ndim !== 0 || scale.aval.dtype !== "float32") continue;
      const diff = producer.get(dir);
      if (diff?.primitive !== "sub") continue;
      const [scaled, decayed] = diff.inputs as [Atom, Atom];
      if (!once(scaled) || !sameShape(scaled) || !sameShape(decayed)) continue;
      const s1 = literalScale(scaled, producer);
      const s2 = literalScale(decayed, producer);
      if (!s1 || !s2 || !sameShape(s1.x) || !sameShape(s2.x)) continue;
      return { p, scale, next: s1.x, a: s1.k, buf: s2.x, b: s2.k };
    }
  }
  return undefined;
}

import { Literal, matchLinearBiasRelu, shapeEqual, VarReaders, type Atom, type Eqn, type Jaxpr, type PoolParams, type Var } from "@mmx/core";

/**
 * Patterns of the traced program that have a much faster ONNX form than their equations one by one
 * (each measured; see the README). A fusion replaces one equation's lowering and names the atoms it
 * reads instead, so that equations only the original form needed are never lowered.
 *
 * - max-pool routing: the VJP of max_pool scatters each window's cotangent to the flat index of its
 *   maximum (max_pool_argmax -> reshape -> scatter_add). With disjoint windows this is a dense
 *   mask of each window's first maximum times the cotangent: no indices, no scatter (see
 *   lowerMaxPoolRoute).
 * - conv bias: add(conv(x, w), b) with b of shape [Co] is one Conv with its bias input (saves a pass
 *   over the activation), when nothing else reads the conv's result: core's linear + bias pattern,
 *   shared with the tfjs executor. A relu after it is the relu primitive's own Relu, which
 *   onnxruntime fuses into the Conv (on the conv's NCHW output: see lower-jaxpr's layout pass).
 * - gemm accumulate: add(matmul(a, b), c) or add(matmul(a, b), mul(v, β)) with 2-D operands is one
 *   Gemm with its C input (`αAB + βC`): a bias, or a momentum buffer taking a gradient (saves a pass
 *   or two over the result), when nothing else reads the product.
 */
export type Fusion =
  | { kind: "maxPoolRoute"; ct: Atom; x: Var; params: PoolParams; pooled: Var | undefined }
  | { kind: "convBias"; conv: Eqn<"conv">; bias: Var }
  | { kind: "gemmAccumulate"; matmul: Eqn<"matmul">; c: Var; beta: number };

/** Finds the fusions of a jaxpr: a map from the equation to replace to how to lower it instead. */
export function planFusions(jaxpr: Jaxpr): Map<Eqn, Fusion> {
  const producer = new Map<Var, Eqn>();
  for (const e of jaxpr.eqns) producer.set(e.out, e);
  /** The value of broadcast_to(literal): a constant fill. */
  const splat = (a: Atom): number | undefined => {
    if (a instanceof Literal) return a.value;
    const e = producer.get(a);
    return e?.primitive === "broadcast_to" && e.inputs[0] instanceof Literal ? e.inputs[0].value : undefined;
  };
  const fusions = new Map<Eqn, Fusion>();
  // The forward max_pool of each input, by parameters: the route compares against its result.
  const pools = new Map<string, Var>();
  const poolKey = (x: Atom, p: unknown) => `${(x as Var).id ?? "lit"}|${JSON.stringify(p)}`;
  for (const e of jaxpr.eqns) if (e.primitive === "max_pool" && !(e.inputs[0] instanceof Literal)) pools.set(poolKey(e.inputs[0]!, e.params), e.out);
  const readers = new Map<Var, number>();
  for (const e of jaxpr.eqns) for (const a of e.inputs) if (!(a instanceof Literal)) readers.set(a, (readers.get(a) ?? 0) + 1);
  for (const a of jaxpr.outs) if (!(a instanceof Literal)) readers.set(a, (readers.get(a) ?? 0) + 1);
  const groupReaders = new VarReaders(jaxpr);
  for (const e of jaxpr.eqns) {
    const group = e.primitive === "conv" ? matchLinearBiasRelu(e, groupReaders) : null;
    if (group) fusions.set(group.add, { kind: "convBias", conv: group.linear as Eqn<"conv">, bias: group.bias });
  }
  for (const e of jaxpr.eqns) {
    if (e.primitive === "add" && e.out.aval.dtype === "float32") {
      if (!fusions.has(e)) {
        const g = gemmAccumulate(e, producer, readers, splat);
        if (g) fusions.set(e, g);
      }
    }
    if (e.primitive === "scatter_add") {
      const [ct, idx] = e.inputs as [Atom, Atom];
      const flat = idx instanceof Literal ? undefined : producer.get(idx);
      const argmax = flat?.primitive === "reshape" && !(flat.inputs[0] instanceof Literal) ? producer.get(flat.inputs[0] as Var) : undefined;
      if (argmax?.primitive !== "max_pool_argmax" || idx.aval.ndim !== 1 || ct.aval.ndim !== 1) continue;
      const x = argmax.inputs[0] as Var;
      const p = argmax.params as PoolParams;
      const params = e.params as { axis: number; size: number };
      const disjoint = p.strides[0] === p.window[0] && p.strides[1] === p.window[1];
      if (disjoint && params.axis === 0 && params.size === x.aval.size && ct.aval.dtype === "float32") {
        fusions.set(e, { kind: "maxPoolRoute", ct, x, params: p, pooled: pools.get(poolKey(x, p)) });
      }
    }
  }
  return fusions;
}

/** Whether `shape` broadcasts one way to [m, n], as Gemm's C must. */
const broadcastsTo = (shape: readonly number[], m: number, n: number) =>
  shape.length <= 2 && shape.length >= 1 && (shape.length === 1 ? shape[0] === n || shape[0] === 1 : (shape[0] === m || shape[0] === 1) && (shape[1] === n || shape[1] === 1));

/** add(matmul, c) or add(matmul, mul(v, β)) as one Gemm: see the list above. */
function gemmAccumulate(add: Eqn, producer: Map<Var, Eqn>, readers: Map<Var, number>, splat: (a: Atom) => number | undefined): Fusion | undefined {
  for (const [p, c] of [add.inputs, [...add.inputs].reverse()] as [Atom, Atom][]) {
    if (p instanceof Literal || c instanceof Literal || readers.get(p) !== 1) continue;
    const mm = producer.get(p);
    if (mm?.primitive !== "matmul" || p.aval.ndim !== 2 || splat(c) !== undefined) continue;
    const [m, n] = p.aval.shape as [number, number];
    if (!shapeEqual(add.out.aval.shape, p.aval.shape)) continue;
    const scaled = producer.get(c);
    if (scaled?.primitive === "mul" && readers.get(c) === 1) {
      for (const [v, k] of [scaled.inputs, [...scaled.inputs].reverse()] as [Atom, Atom][]) {
        const beta = v instanceof Literal ? undefined : k.aval.ndim === 0 ? splat(k) : undefined;
        if (beta !== undefined && !(v instanceof Literal) && v.aval.dtype === "float32" && broadcastsTo(v.aval.shape, m, n)) {
          return { kind: "gemmAccumulate", matmul: mm as Eqn<"matmul">, c: v, beta };
        }
      }
    }
    if (c.aval.dtype === "float32" && broadcastsTo(c.aval.shape, m, n)) return { kind: "gemmAccumulate", matmul: mm as Eqn<"matmul">, c, beta: 1 };
  }
  return undefined;
}

/** The atoms an equation reads once fusions apply. */
export function readsOf(e: Eqn, fusion: Fusion | undefined): readonly Atom[] {
  if (!fusion) return e.inputs;
  if (fusion.kind === "convBias") return [...fusion.conv.inputs, fusion.bias];
  if (fusion.kind === "gemmAccumulate") return [...fusion.matmul.inputs, fusion.c];
  return fusion.pooled ? [fusion.ct, fusion.x, fusion.pooled] : [fusion.ct, fusion.x];
}

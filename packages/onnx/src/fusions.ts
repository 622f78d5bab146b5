import { Literal, type Atom, type Eqn, type Jaxpr, type PoolParams, type Var } from "@mmx/core";

/**
 * Patterns of the traced program that have a much faster ONNX form than their equations one by one
 * (each measured; see the README). A fusion replaces one equation's lowering and names the atoms it
 * reads instead, so that equations only the original form needed are never lowered.
 *
 * - relu: where(greater(x, 0), x, 0) is Relu(x), which onnxruntime fuses into the Conv or Gemm
 *   before it (it differs only for NaN inputs: Relu keeps NaN, the where gives 0).
 * - max-pool routing: the VJP of max_pool scatters each window's cotangent to the flat index of its
 *   maximum (max_pool_argmax -> reshape -> scatter_add). With disjoint windows this is a dense
 *   mask of each window's first maximum times the cotangent: no indices, no scatter (see
 *   lowerMaxPoolRoute).
 * - conv bias: add(conv(x, w), b) with b of shape [Co] is one Conv with its bias input (saves a pass
 *   over the activation), when nothing else reads the conv's result.
 * - gemm accumulate: add(matmul(a, b), c) or add(matmul(a, b), mul(v, β)) with 2-D operands is one
 *   Gemm with its C input (`αAB + βC`): a bias, or a momentum buffer taking a gradient (saves a pass
 *   or two over the result), when nothing else reads the product.
 * - relu mask: the backward pass of a fused ReLU reads greater(x, 0); that is relu(x) > 0, so it is
 *   computed from the ReLU's output, and x itself (a conv's output, transposed back to NHWC) need
 *   not be kept: the ReLU then runs on the conv's NCHW output, where onnxruntime fuses it into the Conv.
 */
export type Fusion =
  | { kind: "relu"; x: Atom }
  | { kind: "maxPoolRoute"; ct: Atom; x: Var; params: PoolParams; pooled: Var | undefined }
  | { kind: "convBias"; conv: Eqn<"conv">; bias: Var }
  | { kind: "gemmAccumulate"; matmul: Eqn<"matmul">; c: Var; beta: number }
  | { kind: "reluMask"; relu: Var };

const isZero = (a: Atom, splat: (a: Atom) => number | undefined) => (a instanceof Literal ? a.value === 0 : splat(a) === 0);

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
  for (const e of jaxpr.eqns) {
    if (e.primitive === "add" && e.out.aval.dtype === "float32") {
      for (const [y, b] of [e.inputs, [...e.inputs].reverse()] as [Atom, Atom][]) {
        const conv = y instanceof Literal ? undefined : producer.get(y);
        if (conv?.primitive !== "conv" || b instanceof Literal || readers.get(y as Var) !== 1) continue;
        const channels = y.aval.shape[3];
        if (b.aval.ndim === 1 && b.aval.shape[0] === channels && y.aval.shape.every((d, i) => d === e.out.aval.shape[i])) {
          fusions.set(e, { kind: "convBias", conv: conv as Eqn<"conv">, bias: b });
          break;
        }
      }
      if (!fusions.has(e)) {
        const g = gemmAccumulate(e, producer, readers, splat);
        if (g) fusions.set(e, g);
      }
    }
    if (e.primitive === "where") {
      const [c, a, z] = e.inputs as [Atom, Atom, Atom];
      const cond = c instanceof Literal ? undefined : producer.get(c);
      if (
        cond?.primitive === "greater" &&
        cond.inputs[0] === a &&
        isZero(cond.inputs[1]!, splat) &&
        isZero(z, splat) &&
        a.aval.dtype === "float32" &&
        a.aval.shape.length === e.out.aval.shape.length &&
        a.aval.shape.every((d, i) => d === e.out.aval.shape[i])
      ) {
        fusions.set(e, { kind: "relu", x: a });
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
  // relu masks: greater(x, 0) where x feeds a fused relu, and every reader of the mask comes after it.
  const reluOf = new Map<Atom, { out: Var; at: number }>();
  const indexOf = new Map<Eqn, number>();
  jaxpr.eqns.forEach((e, i) => indexOf.set(e, i));
  for (const [e, f] of fusions) if (f.kind === "relu") reluOf.set(f.x, { out: e.out, at: indexOf.get(e)! });
  const firstReader = new Map<Var, number>();
  jaxpr.eqns.forEach((e, i) => {
    for (const a of e.inputs) if (!(a instanceof Literal) && !firstReader.has(a) && !(fusions.get(e)?.kind === "relu")) firstReader.set(a, i);
  });
  jaxpr.eqns.forEach((e, i) => {
    if (e.primitive !== "greater" || fusions.has(e)) return;
    const relu = reluOf.get(e.inputs[0]!);
    if (!relu || relu.at <= i || !isZero(e.inputs[1]!, splat)) return;
    const reader = firstReader.get(e.out);
    if (reader !== undefined && reader <= relu.at) return;
    if (jaxpr.outs.includes(e.out)) return;
    fusions.set(e, { kind: "reluMask", relu: relu.out });
  });
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
    if (!add.out.aval.shape.every((d, i) => d === p.aval.shape[i]) || add.out.aval.ndim !== 2) continue;
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
  if (fusion.kind === "relu") return [fusion.x];
  if (fusion.kind === "convBias") return [...fusion.conv.inputs, fusion.bias];
  if (fusion.kind === "gemmAccumulate") return [...fusion.matmul.inputs, fusion.c];
  if (fusion.kind === "reluMask") return [fusion.relu];
  return fusion.pooled ? [fusion.ct, fusion.x, fusion.pooled] : [fusion.ct, fusion.x];
}

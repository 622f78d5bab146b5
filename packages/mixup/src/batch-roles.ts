import { Var, type Atom, type Eqn, type Jaxpr, type Primitive, type ShapedArray } from "@mmx/core";
import { resultsOf } from "./results.js";

/**
 * How a value of a traced model relates to the examples of its batch x (input binder `xInput`, whose
 * axis 0 enumerates them). This is what decides which values cut-point mixing interpolates:
 *
 * - `batch`: along `axis`, slice i belongs to example i (computed from example i's slices and from values
 *   that are not per-example of x). These are the model's per-example states; mixing interpolates them.
 * - `statistic`: depends on x but has no example axis: a reduction over the examples (a batch norm's
 *   mean and variance, and whatever is computed from them alone). Mixing leaves it as it is.
 * - `independent`: does not depend on x (params, state, constants, other arguments).
 * - `entangled`: depends on x, but its example axis was merged, gathered, sliced or moved into a place no
 *   single axis describes; `reason` says how. Such a value cannot be mixed at a cut.
 */
export type BatchRole =
  | { readonly kind: "batch"; readonly axis: number }
  | { readonly kind: "statistic" }
  | { readonly kind: "independent" }
  | { readonly kind: "entangled"; readonly reason: string };

const INDEPENDENT: BatchRole = { kind: "independent" };
const STATISTIC: BatchRole = { kind: "statistic" };
const batchAt = (axis: number): BatchRole => ({ kind: "batch", axis });
const entangled = (reason: string): BatchRole => ({ kind: "entangled", reason });

/**
 * A rule sees the equation and, for each operand, its example axis (null: not per-example). It is only
 * called when at least one operand is per-example and none is entangled; the other cases are decided
 * once, for every primitive, by `roleOf`.
 */
type BatchRule<P extends Primitive> = (eqn: Eqn<P>, axes: readonly (number | null)[], inAvals: readonly ShapedArray[]) => BatchRole;

const sameAsOperand: BatchRule<Primitive> = (_eqn, axes) => batchAt(axes.find((a) => a !== null)!);

/** Numpy broadcasting aligns trailing axes: every per-example operand must land its examples on the same output axis. */
const broadcasting: BatchRule<Primitive> = (eqn, axes, inAvals) => {
  const out = eqn.out.aval.shape;
  const landed = new Set<number>();
  for (let i = 0; i < axes.length; i++) {
    const a = axes[i];
    if (a === null || a === undefined) continue;
    const at = a + out.length - inAvals[i]!.ndim;
    if (inAvals[i]!.shape[a] !== out[at]) return entangled(`${eqn.primitive} broadcasts the example axis`);
    landed.add(at);
  }
  return landed.size === 1 ? batchAt([...landed][0]!) : entangled(`${eqn.primitive} combines operands whose examples lie on different axes`);
};

const reducing =
  (axesOf: (eqn: Eqn<any>) => readonly number[]): BatchRule<Primitive> =>
  (eqn, axes) => {
    const a = axes[0]!;
    const reduced = axesOf(eqn);
    return reduced.includes(a) ? STATISTIC : batchAt(a - reduced.filter((r) => r < a).length);
  };

/** Spatial operators (NHWC): the examples must stay on axis 0 of the first operand, and nothing else may be per-example. */
const perImage: BatchRule<Primitive> = (eqn, axes) =>
  axes[0] === 0 && axes.slice(1).every((a) => a === null) ? batchAt(0) : entangled(`${eqn.primitive} takes its examples elsewhere than axis 0 of its input`);

/** Every primitive's rule: a primitive added to core does not compile here until it says what it does to the example axis. */
const RULES: { readonly [P in Primitive]: BatchRule<P> } = {
  neg: sameAsOperand,
  exp: sameAsOperand,
  log: sameAsOperand,
  log1p: sameAsOperand,
  tanh: sameAsOperand,
  logistic: sameAsOperand,
  sqrt: sameAsOperand,
  rsqrt: sameAsOperand,
  abs: sameAsOperand,
  sign: sameAsOperand,
  erf: sameAsOperand,
  sin: sameAsOperand,
  cos: sameAsOperand,
  relu: sameAsOperand,
  add: broadcasting,
  sub: broadcasting,
  mul: broadcasting,
  div: broadcasting,
  pow: broadcasting,
  maximum: broadcasting,
  minimum: broadcasting,
  equal: broadcasting,
  less: broadcasting,
  greater: broadcasting,
  less_equal: broadcasting,
  greater_equal: broadcasting,
  where: broadcasting,
  convert_element_type: sameAsOperand,
  reduce_sum: reducing((e: Eqn<"reduce_sum">) => e.params.axes),
  reduce_max: reducing((e: Eqn<"reduce_max">) => e.params.axes),
  reduce_min: reducing((e: Eqn<"reduce_min">) => e.params.axes),
  argmax: reducing((e: Eqn<"argmax">) => [e.params.axis]),
  reshape: (eqn, axes, inAvals) => {
    // Row-major: the example axis survives when what precedes it keeps its size and the axis keeps its length.
    const a = axes[0]!;
    const inShape = inAvals[0]!.shape;
    const out = eqn.params.shape;
    const before = inShape.slice(0, a).reduce((p, d) => p * d, 1);
    let prefix = 1;
    for (let i = 0; i < out.length; i++) {
      if (prefix === before && out[i] === inShape[a]) return batchAt(i);
      prefix *= out[i]!;
    }
    return entangled("reshape merges the example axis with others");
  },
  transpose: (eqn, axes) => batchAt(eqn.params.perm.indexOf(axes[0]!)),
  broadcast_to: (eqn, axes, inAvals) => {
    const a = axes[0]!;
    const at = a + eqn.params.shape.length - inAvals[0]!.ndim;
    return eqn.params.shape[at] === inAvals[0]!.shape[a] ? batchAt(at) : entangled("broadcast_to broadcasts the example axis");
  },
  concatenate: (eqn, axes) => {
    const found = new Set(axes.filter((a): a is number => a !== null));
    if (found.size !== 1) return entangled("concatenate joins operands whose examples lie on different axes");
    const a = [...found][0]!;
    return a === eqn.params.axis ? entangled("concatenate joins along the example axis") : batchAt(a);
  },
  slice: (eqn, axes, inAvals) => {
    const a = axes[0]!;
    return eqn.params.begin[a] === 0 && eqn.params.size[a] === inAvals[0]!.shape[a] ? batchAt(a) : entangled("slice keeps only some examples");
  },
  pad: (eqn, axes) => {
    const a = axes[0]!;
    const [lo, hi] = eqn.params.widths[a]!;
    return lo === 0 && hi === 0 ? batchAt(a) : entangled("pad pads the example axis");
  },
  take: (eqn, axes, inAvals) => {
    const [xa, ia] = axes as [number | null, number | null];
    const { axis } = eqn.params;
    const k = inAvals[1]!.ndim;
    if (xa !== null && ia !== null) return entangled("take gathers per-example values with per-example indices");
    if (ia !== null) return batchAt(axis + ia); // an embedding lookup: per-example indices into a table
    if (xa === axis) return entangled("take gathers along the example axis (it reorders or picks examples)");
    return batchAt(xa! < axis ? xa! : xa! + k - 1);
  },
  scatter_add: (eqn, axes, inAvals) => {
    const [ua, ia] = axes as [number | null, number | null];
    const { axis } = eqn.params;
    const k = inAvals[1]!.ndim;
    const scattered = (a: number) => a >= axis && a < axis + k;
    // Examples scattered into rows (a sum per index over the batch): a statistic.
    if (ia !== null) return ua === null || ua === axis + ia ? STATISTIC : entangled("scatter_add scatters with per-example indices along another axis");
    if (scattered(ua!)) return STATISTIC;
    return batchAt(ua! < axis ? ua! : ua! - k + 1);
  },
  one_hot: sameAsOperand,
  matmul: (eqn, axes, inAvals) => {
    const r = inAvals[0]!.ndim;
    const { transposeA, transposeB } = eqn.params;
    // Where each operand's example axis goes: a leading (batched-matmul) axis stays, the row of a or the column of b moves to the output's, the contracted one is summed over.
    const land = (a: number | null, rows: number, contracted: number, to: number): number | "summed" | null =>
      a === null ? null : a < r - 2 ? a : a === rows ? to : a === contracted ? "summed" : null;
    const fromA = land(axes[0]!, transposeA ? r - 1 : r - 2, transposeA ? r - 2 : r - 1, r - 2);
    const fromB = land(axes[1]!, transposeB ? r - 2 : r - 1, transposeB ? r - 1 : r - 2, r - 1);
    const landed = [fromA, fromB].filter((v) => v !== null);
    if (landed.every((v) => v === "summed")) return STATISTIC;
    if (landed.length === 2 && landed[0] !== landed[1]) return entangled("matmul pairs examples of one operand with examples of the other");
    return typeof landed[0] === "number" ? batchAt(landed[0]) : entangled("matmul sums over the examples of one operand only");
  },
  conv: perImage,
  conv_transpose: perImage,
  conv_filter_grad: (eqn, axes) => (axes[0] === 0 && axes[1] === 0 ? STATISTIC : entangled(`${eqn.primitive} takes examples elsewhere than axis 0`)),
  avg_pool: perImage,
  avg_pool_grad: perImage,
  max_pool: perImage,
  max_pool_argmax: () => entangled("max_pool_argmax's flat indices count the example"),
  tag: sameAsOperand,
  stop_gradient: sameAsOperand,
};

function roleOf(eqn: Eqn, operands: readonly BatchRole[]): BatchRole {
  const tangled = operands.find((r) => r.kind === "entangled");
  if (tangled) return tangled;
  if (!operands.some((r) => r.kind === "batch")) return operands.some((r) => r.kind === "statistic") ? STATISTIC : INDEPENDENT;
  const axes = operands.map((r) => (r.kind === "batch" ? r.axis : null));
  // Higher-order primitives (a scan, with a program inside) are outside the table: not analysed, so not mixable.
  const rule = (RULES as Partial<Record<string, BatchRule<Primitive>>>)[eqn.primitive];
  if (!rule || resultsOf(eqn).length !== 1) return entangled(`${eqn.primitive} is not analysed for where it puts the examples`);
  return rule(eqn, axes, eqn.inputs.map((a) => a.aval));
}

/** The role of every variable of `jaxpr`, x being input binder `xInput`. */
export function batchRoles(jaxpr: Jaxpr, xInput: number): Map<Var, BatchRole> {
  const roles = new Map<Var, BatchRole>();
  jaxpr.inBinders.forEach((v, i) => roles.set(v, i === xInput ? batchAt(0) : INDEPENDENT));
  const read = (a: Atom) => (a instanceof Var ? (roles.get(a) ?? INDEPENDENT) : INDEPENDENT);
  for (const eqn of jaxpr.eqns) {
    const role = roleOf(eqn, eqn.inputs.map(read));
    for (const v of resultsOf(eqn)) roles.set(v, role);
  }
  return roles;
}

import { Array, Literal, type Operand } from "./array.js";
import { isFloat } from "./dtype.js";
import * as np from "./np.js";
import type { Params, Primitive, RuleTable } from "./primitives.js";
import { bind } from "./trace.js";
import { chooserWeights, unreduce } from "./vjp-rules.js";

/**
 * Forward-mode rules: given a primitive's operands, their tangents (null where the tangent is a
 * symbolic zero: literals, integer operands, values that do not depend on the inputs) and its output,
 * the output's tangent (null for zero). Tangents have their operand's shape. Rules bind primitives, so
 * `jvp(grad(f))` (forward over reverse) and `jit(jvp(f))` need nothing more.
 */
export type Tangent = Array | null;
export type JvpRule<P extends Primitive> = (operands: readonly Operand[], tangents: readonly Tangent[], out: Array, params: Params<P>) => Tangent;

type Value = Array | number;
const val = (o: Operand | undefined): Value => (o instanceof Literal ? o.value : (o as Array));

/** Sums the non-null terms, broadcast to the output's shape; null when every term is. */
function sumTerms(out: Array, ...terms: (Array | null)[]): Tangent {
  const present = terms.filter((t): t is Array => t !== null);
  if (present.length === 0) return null;
  const total = present.reduce((acc, t) => np.add(acc, t));
  return total.ndim === out.ndim && total.shape.every((d, i) => d === out.shape[i]) ? total : np.broadcastTo(total, out.shape);
}

/** A unary rule t -> t · f'(x, y). */
const scale =
  (derivative: (x: Value, out: Array) => Value) =>
  ([x]: readonly Operand[], [t]: readonly Tangent[], out: Array): Tangent =>
    t ? np.mul(t, derivative(val(x), out)) : null;

/** A primitive linear in its single operand: apply it to the tangent. */
const linear =
  <P extends Primitive>(p: P) =>
  (_ops: readonly Operand[], [t]: readonly Tangent[], _out: Array, params: Params<P>): Tangent =>
    t ? bind(p, [t], params) : null;

/** A primitive linear in each of two operands (matmul, convolutions): the product rule. */
const bilinear =
  <P extends Primitive>(p: P) =>
  ([a, b]: readonly Operand[], [ta, tb]: readonly Tangent[], out: Array, params: Params<P>): Tangent =>
    sumTerms(out, ta ? bind(p, [ta, b!], params) : null, tb ? bind(p, [a!, tb], params) : null);

const zero = (): Tangent => null;

/** JAX's convention for max/min reductions: the tangent of tied maxima is their mean. */
function reduceChooser([x]: readonly Operand[], [t]: readonly Tangent[], out: Array, axes: readonly number[]): Tangent {
  if (!t) return null;
  const xa = x as Array;
  const hits = np.astype(np.equal(xa, unreduce(out, xa, axes)), "float32");
  return np.div(np.sum(np.mul(t, hits), { axis: [...axes] }), np.sum(hits, { axis: [...axes] }));
}

export const jvpRules: RuleTable<{ [P in Primitive]: JvpRule<P> }> = {
  neg: linear("neg"),
  exp: scale((_x, out) => out),
  log: scale((x) => np.reciprocal(x)),
  log1p: scale((x) => np.reciprocal(np.add(x, 1))),
  tanh: scale((_x, out) => np.sub(1, np.square(out))),
  logistic: scale((_x, out) => np.mul(out, np.sub(1, out))),
  sqrt: scale((_x, out) => np.div(0.5, out)),
  rsqrt: scale((x, out) => np.mul(-0.5, np.div(out, x))),
  abs: scale((x) => np.sign(x)),
  sign: zero,
  erf: scale((x) => np.mul(2 / Math.sqrt(Math.PI), np.exp(np.neg(np.square(x))))),
  sin: scale((x) => np.cos(x)),
  cos: scale((x) => np.neg(np.sin(x))),
  // t · step(y), as the VJP rule: NaN where the output is NaN.
  relu: (_o, [t], out) => (t ? np.where(np.greater(out, 0), t, np.mul(t, out)) : null),
  add: (_o, [ta, tb], out) => sumTerms(out, ta, tb),
  sub: (_o, [ta, tb], out) => sumTerms(out, ta, tb && np.neg(tb)),
  mul: ([a, b], [ta, tb], out) => sumTerms(out, ta && np.mul(ta, val(b)), tb && np.mul(val(a), tb)),
  div: ([, b], [ta, tb], out) => sumTerms(out, ta && np.div(ta, val(b)), tb && np.neg(np.div(np.mul(tb, out), val(b)))),
  pow: ([a, b], [ta, tb], out) => {
    const da = ta && np.mul(np.mul(ta, val(b)), np.pow(val(a), np.sub(val(b), 1)));
    // As the VJP: d(a^b)/db = log(a) a^b, taken as 0 where a <= 0.
    const safeLog = () => np.where(np.greater(val(a), 0), np.log(np.where(np.greater(val(a), 0), val(a), 1)), 0);
    return sumTerms(out, da, tb && np.mul(np.mul(tb, out), safeLog()));
  },
  maximum: ([a, b], [ta, tb], out) => {
    const w = chooserWeights(val(a), val(b), "greater");
    return sumTerms(out, ta && np.mul(ta, w), tb && np.mul(tb, np.sub(1, w)));
  },
  minimum: ([a, b], [ta, tb], out) => {
    const w = chooserWeights(val(a), val(b), "less");
    return sumTerms(out, ta && np.mul(ta, w), tb && np.mul(tb, np.sub(1, w)));
  },
  equal: zero,
  less: zero,
  greater: zero,
  less_equal: zero,
  greater_equal: zero,
  where: ([c], [, ta, tb], out) => {
    if (!ta && !tb) return null;
    // A zero branch is a literal 0, of the other branch's dtype.
    return sumTerms(out, np.where(val(c), ta ?? 0, tb ?? 0));
  },
  convert_element_type: ([x], [t], _out, { dtype }) => (t && isFloat((x as Array).dtype) && isFloat(dtype) ? np.astype(t, dtype) : null),
  reduce_sum: linear("reduce_sum"),
  reduce_max: (ops, ts, out, { axes }) => reduceChooser(ops, ts, out, axes),
  reduce_min: (ops, ts, out, { axes }) => reduceChooser(ops, ts, out, axes),
  argmax: zero,
  reshape: linear("reshape"),
  transpose: linear("transpose"),
  broadcast_to: linear("broadcast_to"),
  concatenate: (ops, ts, out, params) => {
    if (!isFloat(out.dtype) || ts.every((t) => !t)) return null;
    return bind(
      "concatenate",
      ops.map((o, i) => ts[i] ?? np.zeros((o as Array).shape)),
      params,
    );
  },
  slice: linear("slice"),
  // The padding value is a constant: its tangent is 0.
  pad: (_o, [t], _out, { widths }) => (t ? bind("pad", [t], { widths, value: 0 }) : null),
  take: ([, indices], [t], _out, params) => (t ? bind("take", [t, indices as Array], params) : null),
  scatter_add: ([, indices], [t], _out, params) => (t ? bind("scatter_add", [t, indices as Array], params) : null),
  one_hot: zero,
  matmul: bilinear("matmul"),
  conv: bilinear("conv"),
  conv_transpose: bilinear("conv_transpose"),
  conv_filter_grad: bilinear("conv_filter_grad"),
  avg_pool: linear("avg_pool"),
  avg_pool_grad: linear("avg_pool_grad"),
  max_pool: ([x], [t], out, params) => {
    if (!t) return null;
    // Each window's tangent is the tangent at its maximum (the cell max_pool's VJP routes to).
    const at = bind("max_pool_argmax", [x as Array], params);
    return np.reshape(np.take(np.reshape(t, [-1]), np.reshape(at, [-1])), out.shape);
  },
  max_pool_argmax: zero,
  // Tangents carry no layer boundary: only the primal program is tagged.
  tag: (_o, [t]) => t,
  stop_gradient: zero,
};

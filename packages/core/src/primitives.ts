import type { DType } from "./dtype.js";

/** Explicit spatial padding for NHWC convolutions and pools: [[top, bottom], [left, right]]. */
export type Padding2D = readonly [readonly [number, number], readonly [number, number]];

export interface ConvParams {
  /** [strideH, strideW] */
  readonly strides: readonly [number, number];
  readonly padding: Padding2D;
  /** [dilationH, dilationW] */
  readonly dilation: readonly [number, number];
}

export interface PoolParams {
  /** [windowH, windowW] */
  readonly window: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: Padding2D;
}

/**
 * Every primitive of the IR with the static parameters it carries. This interface is the one list of
 * primitives: each rule table (shape rules, VJP rules, lowerings) is typed `{ [P in Primitive]: ... }`,
 * so a primitive added here without a rule in every table does not compile.
 */
export interface PrimitiveParams {
  // elementwise, one input
  neg: {};
  exp: {};
  log: {};
  log1p: {};
  tanh: {};
  logistic: {};
  sqrt: {};
  rsqrt: {};
  abs: {};
  sign: {};
  erf: {};
  sin: {};
  cos: {};
  /** max(x, 0) that keeps NaN (a select on x > 0 would map it to 0). */
  relu: {};
  // elementwise, two inputs with numpy broadcasting
  add: {};
  sub: {};
  mul: {};
  div: {};
  pow: {};
  maximum: {};
  minimum: {};
  equal: {};
  less: {};
  greater: {};
  less_equal: {};
  greater_equal: {};
  // where(cond, a, b), broadcasting all three
  where: {};
  convert_element_type: { readonly dtype: DType };
  // reductions over sorted axes; the reduced axes are removed
  reduce_sum: { readonly axes: readonly number[] };
  reduce_max: { readonly axes: readonly number[] };
  reduce_min: { readonly axes: readonly number[] };
  argmax: { readonly axis: number };
  // shapes
  reshape: { readonly shape: readonly number[] };
  transpose: { readonly perm: readonly number[] };
  broadcast_to: { readonly shape: readonly number[] };
  concatenate: { readonly axis: number };
  slice: { readonly begin: readonly number[]; readonly size: readonly number[] };
  pad: { readonly widths: readonly (readonly [number, number])[]; readonly value: number };
  // indexing: take(x, indices) gathers along axis; scatter_add(updates, indices) is its transpose
  take: { readonly axis: number };
  scatter_add: { readonly axis: number; readonly size: number };
  one_hot: { readonly depth: number };
  // linear algebra: batched matmul over the last two axes, optionally transposing either operand
  matmul: { readonly transposeA: boolean; readonly transposeB: boolean };
  // NHWC / HWIO convolutions and their two adjoints
  conv: ConvParams;
  conv_transpose: ConvParams & { readonly inputShape: readonly number[] };
  conv_filter_grad: ConvParams & { readonly filterShape: readonly number[] };
  // NHWC pooling; avg_pool excludes padding from the average (as TensorFlow does)
  avg_pool: PoolParams;
  avg_pool_grad: PoolParams & { readonly inputShape: readonly number[] };
  max_pool: PoolParams;
  /** Flat index (batch included) of each window's maximum: how max_pool routes its gradient. */
  max_pool_argmax: PoolParams;
  // identities that matter to transforms
  /** Marks a layer boundary; transparent to evaluation and to grad. */
  tag: { readonly name: string };
  stop_gradient: {};
}

export type Primitive = keyof PrimitiveParams;
export type Params<P extends Primitive = Primitive> = PrimitiveParams[P];

/** A table with one entry per primitive: the shape every rule table takes. */
export type RuleTable<Rule extends Record<Primitive, unknown>> = { readonly [P in Primitive]: Rule[P] };

export const UNARY_PRIMITIVES = ["neg", "exp", "log", "log1p", "tanh", "logistic", "sqrt", "rsqrt", "abs", "sign", "erf", "sin", "cos", "relu"] as const;
export const BINARY_PRIMITIVES = ["add", "sub", "mul", "div", "pow", "maximum", "minimum"] as const;
export const COMPARISON_PRIMITIVES = ["equal", "less", "greater", "less_equal", "greater_equal"] as const;
export type UnaryPrimitive = (typeof UNARY_PRIMITIVES)[number];
export type BinaryPrimitive = (typeof BINARY_PRIMITIVES)[number];
export type ComparisonPrimitive = (typeof COMPARISON_PRIMITIVES)[number];

/** Primitives whose output is the input itself: executors may alias instead of copying. */
export const IDENTITY_PRIMITIVES: ReadonlySet<Primitive> = new Set<Primitive>(["tag", "stop_gradient"]);

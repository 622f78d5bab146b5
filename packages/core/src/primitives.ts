import type { DType } from "./dtype.js";

/** Explicit spatial padding for NHWC convolutions and pools: [[top, bottom], [left, right]]. */
export type Padding2D = readonly [readonly [number, number], readonly [number, number]];

export interface ConvParams {
  /** [strideH, strideW] */
  readonly strides: readonly [number, number];
  readonly padding: Padding2D;
  /** [dilationH, dilationW] */
  readonly dilation: readonly [number, number];
  /**
   * Feature groups G: the channels of x and of the output split into G equal runs, and output run g reads
   * input run g only (the filter is [KH, KW, Ci/G, Co]). 1 is an ordinary convolution; G = Ci is depthwise.
   */
  readonly groups: number;
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
  // NHWC / HWIO convolutions (feature-grouped: see ConvParams.groups) and their two adjoints
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

/**
 * What kind of operation each primitive is. Typed over every primitive, so a primitive added to
 * `PrimitiveParams` does not compile until it is classified here; the lists that used to be written
 * out by hand (np's elementwise operations, the ONNX executor's layout-free set, the identities
 * executors alias) are derived from this table.
 */
export type PrimitiveKind =
  /** One operand, element by element. */
  | "unary"
  /** Two operands with numpy broadcasting, element by element; the result has their dtype. */
  | "binary"
  /** Two operands with numpy broadcasting, element by element; the result is bool. */
  | "comparison"
  /** where(cond, a, b), element by element with broadcasting. */
  | "select"
  /** Element by element, one operand, another dtype. */
  | "cast"
  | "reduction"
  /** Moves, copies or pads elements without computing on them. */
  | "structural"
  | "indexing"
  | "linear-algebra"
  | "convolution"
  | "pooling"
  /** The result is the operand itself (executors may alias instead of copying). */
  | "identity";

export const PRIMITIVE_KINDS = {
  neg: "unary",
  exp: "unary",
  log: "unary",
  log1p: "unary",
  tanh: "unary",
  logistic: "unary",
  sqrt: "unary",
  rsqrt: "unary",
  abs: "unary",
  sign: "unary",
  erf: "unary",
  sin: "unary",
  cos: "unary",
  relu: "unary",
  add: "binary",
  sub: "binary",
  mul: "binary",
  div: "binary",
  pow: "binary",
  maximum: "binary",
  minimum: "binary",
  equal: "comparison",
  less: "comparison",
  greater: "comparison",
  less_equal: "comparison",
  greater_equal: "comparison",
  where: "select",
  convert_element_type: "cast",
  reduce_sum: "reduction",
  reduce_max: "reduction",
  reduce_min: "reduction",
  argmax: "reduction",
  reshape: "structural",
  transpose: "structural",
  broadcast_to: "structural",
  concatenate: "structural",
  slice: "structural",
  pad: "structural",
  take: "indexing",
  scatter_add: "indexing",
  one_hot: "indexing",
  matmul: "linear-algebra",
  conv: "convolution",
  conv_transpose: "convolution",
  conv_filter_grad: "convolution",
  avg_pool: "pooling",
  avg_pool_grad: "pooling",
  max_pool: "pooling",
  max_pool_argmax: "pooling",
  tag: "identity",
  stop_gradient: "identity",
} as const satisfies { readonly [P in Primitive]: PrimitiveKind };

/** The primitives of one kind, as a type. */
export type PrimitiveOfKind<K extends PrimitiveKind> = { [P in Primitive]: (typeof PRIMITIVE_KINDS)[P] extends K ? P : never }[Primitive];
export type UnaryPrimitive = PrimitiveOfKind<"unary">;
export type BinaryPrimitive = PrimitiveOfKind<"binary">;
export type ComparisonPrimitive = PrimitiveOfKind<"comparison">;

/** The primitives whose kind is one of `kinds`, in the table's order. */
export function primitivesOfKind<K extends PrimitiveKind>(...kinds: K[]): PrimitiveOfKind<K>[] {
  return (Object.keys(PRIMITIVE_KINDS) as Primitive[]).filter((p) => (kinds as PrimitiveKind[]).includes(PRIMITIVE_KINDS[p])) as PrimitiveOfKind<K>[];
}

/** Primitives that act element by element (with numpy broadcasting): layout does not matter to them. */
export const ELEMENTWISE_PRIMITIVES: ReadonlySet<Primitive> = new Set<Primitive>(primitivesOfKind("unary", "binary", "comparison", "select"));

/** Primitives whose output is the input itself: executors may alias instead of copying. */
export const IDENTITY_PRIMITIVES: ReadonlySet<Primitive> = new Set<Primitive>(primitivesOfKind("identity"));

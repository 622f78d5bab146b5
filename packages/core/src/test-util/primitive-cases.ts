/**
 * One case per primitive: how to draw operands, how mmx computes it, and how tfjs computes the same
 * thing (the oracle, run on tfjs's cpu backend with tfjs's own gradients). Shared by the VJP
 * property tests and the cpu/wasm agreement test.
 */
import fc from "fast-check";
import type { Array as MxArray, DType, Primitive } from "../index.js";
import { bind, lax, np, tag } from "../index.js";
import { resolvePadding } from "../lax.js";
import { tfa } from "./oracle.js";

type Tensor = tfa.Tensor;

export interface Operand {
  readonly shape: number[];
  readonly dtype: DType;
  readonly values: number[];
}

export interface PrimitiveCase {
  readonly primitive: Primitive;
  /** A label when one primitive has several cases. */
  readonly label?: string;
  readonly operands: fc.Arbitrary<{ ops: Operand[]; extra?: any }>;
  readonly mmx: (xs: MxArray[], extra: any) => MxArray;
  /**
   * The tfjs computation of the same value; its gradient (tfjs's tape) is the VJP oracle. Null where
   * tfjs cannot compute it (no gradients for dilated convolutions).
   */
  readonly oracle?: (xs: Tensor[], extra: any) => Tensor | null;
  /** Operands with a gradient that tfjs's tape can check. */
  readonly tapeArgs?: number[];
  /** Operands to check by finite differences (mmx only). */
  readonly fdArgs?: number[];
  readonly tol?: { rtol: number; atol: number };
}

const smallShape = (minRank = 1, maxRank = 3) => fc.array(fc.integer({ min: 1, max: 4 }), { minLength: minRank, maxLength: maxRank });
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Values in [lo, hi] as float32. */
const floats = (n: number, lo = -2, hi = 2) => fc.array(fc.float({ min: Math.fround(lo), max: Math.fround(hi), noNaN: true, noDefaultInfinity: true }), { minLength: n, maxLength: n });
/** Distinct values at least 0.01 apart: no ties for max/min/abs, so finite differences do not cross kinks. */
const distinct = (n: number, scale = 100) => fc.uniqueArray(fc.integer({ min: -300, max: 300 }).filter((v) => v !== 0), { minLength: n, maxLength: n }).map((a) => a.map((v) => v / scale));

const f32 = (shape: number[], values: number[]): Operand => ({ shape, dtype: "float32", values });
const i32 = (shape: number[], values: number[]): Operand => ({ shape, dtype: "int32", values });

const oneFloat = (lo = -2, hi = 2) => smallShape().chain((s) => floats(size(s), lo, hi).map((v) => ({ ops: [f32(s, v)] })));
const oneDistinct = smallShape().chain((s) => distinct(size(s)).map((v) => ({ ops: [f32(s, v)] })));

/** Two broadcast-compatible shapes: b is a suffix of a with some axes set to 1 (or the reverse). */
const broadcastPair = smallShape().chain((a) =>
  fc.tuple(fc.integer({ min: 0, max: a.length }), fc.array(fc.boolean(), { minLength: a.length, maxLength: a.length }), fc.boolean()).map(([drop, ones, swap]) => {
    const b = a.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d));
    return swap ? [b, a] : [a, b];
  }),
);

const binaryFloat = (lo = -2, hi = 2, positiveB = false) =>
  broadcastPair.chain(([sa, sb]) => fc.tuple(floats(size(sa!), lo, hi), positiveB ? floats(size(sb!), 0.5, 2) : floats(size(sb!), lo, hi)).map(([va, vb]) => ({ ops: [f32(sa!, va), f32(sb!, vb)] })));

/** Operands for max/min: b = a + an offset of at least 0.05, so there are no ties. */
const binaryNoTies = broadcastPair.chain(([sa, sb]) =>
  fc.tuple(distinct(size(sa!)), fc.array(fc.oneof(fc.float({ min: Math.fround(0.05), max: 1, noNaN: true }), fc.float({ min: -1, max: Math.fround(-0.05), noNaN: true })), { minLength: size(sb!), maxLength: size(sb!) })).map(([va, off]) => {
    // b's values only need to differ from every a they meet: make b values a half-step off a's grid.
    const vb = off.map((o) => Math.round(o * 100) / 100 + 0.005);
    return { ops: [f32(sa!, va), f32(sb!, vb)] };
  }),
);

const unaryCase = (primitive: Primitive, mmx: (x: MxArray) => MxArray, oracle: (x: Tensor) => Tensor, arb = oneFloat()): PrimitiveCase => ({
  primitive,
  operands: arb,
  mmx: ([x]) => mmx(x!),
  oracle: ([x]) => oracle(x!),
  tapeArgs: [0],
  fdArgs: [0],
});

/** Broadcasts every operand to the common shape first: tfjs's max/min gradients skip the reduction. */
const broadcastAll = (ts: Tensor[]) => {
  const rank = Math.max(...ts.map((t) => t.rank));
  const target = Array.from({ length: rank }, (_, i) => Math.max(...ts.map((t) => t.shape[t.rank - rank + i] ?? 1)));
  return ts.map((t) => tfa.broadcastTo(t, target));
};

const binaryCase = (primitive: Primitive, mmx: (a: MxArray, b: MxArray) => MxArray, oracle: (a: Tensor, b: Tensor) => Tensor, arb = binaryFloat()): PrimitiveCase => ({
  primitive,
  operands: arb,
  mmx: ([a, b]) => mmx(a!, b!),
  oracle: (xs) => {
    const [a, b] = broadcastAll(xs);
    return oracle(a!, b!);
  },
  tapeArgs: [0, 1],
  fdArgs: [0, 1],
});

/** A subset of axes of a rank-r shape (possibly all). */
const axesOf = (rank: number) => fc.subarray(Array.from({ length: rank }, (_, i) => i), { minLength: 1 });

/** A convolution's sizes: ci and co are all the channels, the filter [kh, kw, ci / groups, co]. */
const convSizes = (groups: fc.Arbitrary<number>, perGroupIn: fc.Arbitrary<number>, perGroupOut: fc.Arbitrary<number>) =>
  fc
    .record({
      n: fc.integer({ min: 1, max: 2 }),
      h: fc.integer({ min: 3, max: 7 }),
      w: fc.integer({ min: 3, max: 7 }),
      groups,
      cig: perGroupIn,
      cog: perGroupOut,
      kh: fc.integer({ min: 1, max: 3 }),
      kw: fc.integer({ min: 1, max: 3 }),
      stride: fc.integer({ min: 1, max: 2 }),
      dilation: fc.integer({ min: 1, max: 2 }),
      padding: fc.constantFrom<"SAME" | "VALID" | number>("SAME", "VALID", 1),
    })
    .map(({ cig, cog, ...c }) => ({ ...c, ci: c.groups * cig, co: c.groups * cog, dilation: c.stride > 1 ? 1 : c.dilation }))
    .filter((c) => (c.kh - 1) * c.dilation + 1 <= c.h + (c.padding === 1 ? 2 : 0) && (c.kw - 1) * c.dilation + 1 <= c.w + (c.padding === 1 ? 2 : 0));

const convSetup = convSizes(fc.constant(1), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }));
/** Feature groups: 2 or 3 of 1-2 channels in and out (one channel in per group: the depthwise case). */
const groupedConvSetup = convSizes(fc.integer({ min: 2, max: 3 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }));

type ConvSetup = fc.Arbitrary<{ n: number; h: number; w: number; groups: number; ci: number; co: number; kh: number; kw: number; stride: number; dilation: number; padding: "SAME" | "VALID" | number }>;
type ConvSizes = ConvSetup extends fc.Arbitrary<infer T> ? T : never;
const convParams = (c: ConvSizes) => {
  const padding = resolvePadding(c.padding, [c.h, c.w], [c.kh, c.kw], [c.stride, c.stride], [c.dilation, c.dilation]);
  const out = (size: number, k: number, p: readonly [number, number]) => Math.floor((size + p[0] + p[1] - ((k - 1) * c.dilation + 1)) / c.stride) + 1;
  const outShape = [c.n, out(c.h, c.kh, padding[0]), out(c.w, c.kw, padding[1]), c.co];
  return { params: { strides: [c.stride, c.stride] as [number, number], padding, dilation: [c.dilation, c.dilation] as [number, number], groups: c.groups }, outShape };
};
const tfPad = (p: readonly (readonly [number, number])[]) => [[0, 0], [p[0]![0], p[0]![1]], [p[1]![0], p[1]![1]], [0, 0]] as never;

const poolSetup = fc.record({
  n: fc.integer({ min: 1, max: 2 }),
  h: fc.integer({ min: 2, max: 6 }),
  w: fc.integer({ min: 2, max: 6 }),
  c: fc.integer({ min: 1, max: 3 }),
  k: fc.integer({ min: 1, max: 3 }),
  stride: fc.integer({ min: 1, max: 3 }),
  padding: fc.constantFrom<"SAME" | "VALID">("SAME", "VALID"),
}).filter((p) => p.k <= p.h && p.k <= p.w);

/**
 * The reference convolution on tfjs: tfjs has no feature groups, so a grouped one is its groups' ordinary
 * convolutions, concatenated (tfjs's tape differentiates through the split and the concatenation).
 */
function tfConv(x: Tensor, w: Tensor, c: ConvSizes): Tensor {
  const one = (xg: Tensor, wg: Tensor) => tfa.conv2d(xg as tfa.Tensor4D, wg as tfa.Tensor4D, c.stride, tfPad(convParams(c).params.padding), "NHWC", c.dilation);
  if (c.groups === 1) return one(x, w);
  const xs = tfa.split(x, c.groups, 3);
  const ws = tfa.split(w, c.groups, 3);
  return tfa.concat(xs.map((xg, g) => one(xg, ws[g]!)), 3);
}

/** conv and its two adjoints on convolutions of these sizes. */
function convCases(setup: ConvSetup, label?: string): PrimitiveCase[] {
  const labelled = label ? { label } : {};
  const filter = (c: ConvSizes) => [c.kh, c.kw, c.ci / c.groups, c.co];
  return [
    {
      primitive: "conv",
      ...labelled,
      operands: setup.chain((c) => fc.tuple(floats(c.n * c.h * c.w * c.ci), floats(size(filter(c)))).map(([x, w]) => ({ ops: [f32([c.n, c.h, c.w, c.ci], x), f32(filter(c), w)], extra: c }))),
      mmx: ([x, w], c) => lax.conv(x!, w!, { strides: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups }),
      oracle: ([x, w], c) => tfConv(x!, w!, c),
      // tfjs has no conv gradients for dilation > 1: those cases are checked by finite differences only.
      tapeArgs: [0, 1],
      fdArgs: [0, 1],
      tol: { rtol: 1e-3, atol: 1e-4 },
    },
    {
      primitive: "conv_transpose",
      ...labelled,
      operands: setup.chain((c) => {
        const { outShape } = convParams(c);
        return fc.tuple(floats(size(outShape)), floats(size(filter(c)))).map(([g, w]) => ({ ops: [f32(outShape, g), f32(filter(c), w)], extra: c }));
      }),
      mmx: ([g, w], c) => bind("conv_transpose", [g!, w!], { ...convParams(c).params, inputShape: [c.n, c.h, c.w, c.ci] }),
      oracle: ([g, w], c) => {
        // The adjoint of conv in x: the gradient of <conv(x, w), g> with respect to x.
        if (c.dilation > 1) return null;
        const x0 = tfa.zeros([c.n, c.h, c.w, c.ci]);
        return tfa.grad((x: Tensor) => tfa.sum(tfa.mul(tfConv(x, w!, c), g!)))(x0);
      },
      fdArgs: [0, 1],
      tol: { rtol: 1e-3, atol: 1e-4 },
    },
    {
      primitive: "conv_filter_grad",
      ...labelled,
      operands: setup.chain((c) => {
        const { outShape } = convParams(c);
        return fc.tuple(floats(c.n * c.h * c.w * c.ci), floats(size(outShape))).map(([x, g]) => ({ ops: [f32([c.n, c.h, c.w, c.ci], x), f32(outShape, g)], extra: c }));
      }),
      mmx: ([x, g], c) => bind("conv_filter_grad", [x!, g!], { ...convParams(c).params, filterShape: filter(c) }),
      oracle: ([x, g], c) => {
        if (c.dilation > 1) return null;
        const w0 = tfa.zeros(filter(c));
        return tfa.grad((w: Tensor) => tfa.sum(tfa.mul(tfConv(x!, w, c), g!)))(w0);
      },
      fdArgs: [0, 1],
      tol: { rtol: 1e-3, atol: 1e-4 },
    },
  ];
}

export const primitiveCases: PrimitiveCase[] = [
  unaryCase("neg", np.neg, tfa.neg),
  unaryCase("exp", np.exp, tfa.exp),
  unaryCase("log", np.log, tfa.log, oneFloat(0.2, 3)),
  unaryCase("log1p", np.log1p, tfa.log1p, oneFloat(-0.5, 3)),
  unaryCase("tanh", np.tanh, tfa.tanh),
  unaryCase("logistic", np.sigmoid, tfa.sigmoid),
  unaryCase("sqrt", np.sqrt, tfa.sqrt, oneFloat(0.2, 3)),
  unaryCase("rsqrt", np.rsqrt, tfa.rsqrt, oneFloat(0.3, 3)),
  unaryCase("abs", np.abs, tfa.abs, oneDistinct),
  { ...unaryCase("sign", np.sign, tfa.sign, oneDistinct), tapeArgs: [0], fdArgs: [0] },
  unaryCase("erf", np.erf, tfa.erf),
  unaryCase("sin", np.sin, tfa.sin),
  unaryCase("cos", np.cos, tfa.cos),
  unaryCase("relu", lax.relu, tfa.relu, oneDistinct),
  binaryCase("add", np.add, tfa.add),
  binaryCase("sub", np.sub, tfa.sub),
  binaryCase("mul", np.mul, tfa.mul),
  binaryCase("div", np.div, tfa.div, binaryFloat(-2, 2, true)),
  binaryCase("pow", np.pow, tfa.pow, binaryFloat(0.3, 2, true)),
  binaryCase("maximum", np.maximum, tfa.maximum, binaryNoTies),
  binaryCase("minimum", np.minimum, tfa.minimum, binaryNoTies),
  { primitive: "equal", operands: binaryFloat().map(({ ops }) => ({ ops: [ops[0]!, { ...ops[1]!, values: ops[1]!.values.map((v, i) => (i % 2 ? v : ops[0]!.values[i % ops[0]!.values.length]!)) }] })), mmx: ([a, b]) => np.equal(a!, b!), oracle: ([a, b]) => tfa.equal(a!, b!) },
  { primitive: "less", operands: binaryFloat(), mmx: ([a, b]) => np.less(a!, b!), oracle: ([a, b]) => tfa.less(a!, b!) },
  { primitive: "greater", operands: binaryFloat(), mmx: ([a, b]) => np.greater(a!, b!), oracle: ([a, b]) => tfa.greater(a!, b!) },
  // Half the pairs are equal, so that <= and >= are told apart from < and >.
  ...(["less_equal", "greater_equal"] as const).map(
    (p): PrimitiveCase => ({
      primitive: p,
      operands: binaryFloat().map(({ ops }) => ({ ops: [ops[0]!, { ...ops[1]!, values: ops[1]!.values.map((v, i) => (i % 2 ? v : ops[0]!.values[i % ops[0]!.values.length]!)) }] })),
      mmx: ([a, b]) => (p === "less_equal" ? np.lessEqual : np.greaterEqual)(a!, b!),
      oracle: ([a, b]) => (p === "less_equal" ? tfa.lessEqual : tfa.greaterEqual)(a!, b!),
    }),
  ),
  {
    primitive: "where",
    operands: broadcastPair.chain(([sa, sb]) =>
      fc.tuple(fc.array(fc.boolean(), { minLength: size(sa!), maxLength: size(sa!) }), floats(size(sa!)), floats(size(sb!))).map(([c, a, b]) => ({
        ops: [{ shape: sa!, dtype: "bool" as DType, values: c.map(Number) }, f32(sa!, a), f32(sb!, b)],
      })),
    ),
    mmx: ([c, a, b]) => np.where(c!, a!, b!),
    oracle: (xs) => {
      const [c, a, b] = broadcastAll(xs);
      return tfa.where(c!, a!, b!);
    },
    tapeArgs: [1, 2],
    fdArgs: [1, 2],
  },
  { primitive: "convert_element_type", label: "f32->i32", operands: oneFloat(-5, 5), mmx: ([x]) => np.astype(x!, "int32"), oracle: ([x]) => tfa.cast(x!, "int32") },
  {
    primitive: "convert_element_type",
    label: "i32->f32",
    operands: smallShape().chain((s) => fc.array(fc.integer({ min: -9, max: 9 }), { minLength: size(s), maxLength: size(s) }).map((v) => ({ ops: [i32(s, v)] }))),
    mmx: ([x]) => np.astype(x!, "float32"),
    oracle: ([x]) => tfa.cast(x!, "float32"),
  },
  {
    primitive: "reduce_sum",
    operands: smallShape().chain((s) => fc.tuple(floats(size(s)), axesOf(s.length)).map(([v, axes]) => ({ ops: [f32(s, v)], extra: axes }))),
    mmx: ([x], axes) => np.sum(x!, { axis: axes }),
    oracle: ([x], axes) => tfa.sum(x!, axes),
    tapeArgs: [0],
    fdArgs: [0],
  },
  ...(["reduce_max", "reduce_min"] as const).map(
    (p): PrimitiveCase => ({
      primitive: p,
      operands: smallShape().chain((s) => fc.tuple(distinct(size(s)), axesOf(s.length)).map(([v, axes]) => ({ ops: [f32(s, v)], extra: axes }))),
      mmx: ([x], axes) => (p === "reduce_max" ? np.max : np.min)(x!, { axis: axes }),
      oracle: ([x], axes) => (p === "reduce_max" ? tfa.max : tfa.min)(x!, axes),
      tapeArgs: [0],
      fdArgs: [0],
    }),
  ),
  {
    primitive: "argmax",
    operands: smallShape().chain((s) => fc.tuple(distinct(size(s)), fc.integer({ min: 0, max: s.length - 1 })).map(([v, axis]) => ({ ops: [f32(s, v)], extra: axis }))),
    mmx: ([x], axis) => np.argmax(x!, axis),
    oracle: ([x], axis) => tfa.argMax(x!, axis),
  },
  {
    primitive: "reshape",
    operands: smallShape(2, 3).chain((s) => floats(size(s)).map((v) => ({ ops: [f32(s, v)], extra: [...s].reverse() }))),
    mmx: ([x], shape) => np.reshape(x!, shape),
    oracle: ([x], shape) => tfa.reshape(x!, shape),
    tapeArgs: [0],
    fdArgs: [0],
  },
  {
    primitive: "transpose",
    operands: smallShape(2, 4).chain((s) =>
      fc.tuple(floats(size(s)), fc.shuffledSubarray(Array.from({ length: s.length }, (_, i) => i), { minLength: s.length, maxLength: s.length })).map(([v, perm]) => ({ ops: [f32(s, v)], extra: perm })),
    ),
    mmx: ([x], perm) => np.transpose(x!, perm),
    oracle: ([x], perm) => tfa.transpose(x!, perm),
    tapeArgs: [0],
    fdArgs: [0],
  },
  {
    primitive: "broadcast_to",
    operands: broadcastPair.chain(([sa, sb]) => {
      const [small, big] = size(sa!) <= size(sb!) && sa!.length <= sb!.length ? [sa!, sb!] : [sb!, sa!];
      return floats(size(small)).map((v) => ({ ops: [f32(small, v)], extra: big }));
    }),
    mmx: ([x], shape) => np.broadcastTo(x!, shape),
    oracle: ([x], shape) => tfa.broadcastTo(x!, shape),
    tapeArgs: [0],
    fdArgs: [0],
  },
  {
    primitive: "concatenate",
    operands: smallShape().chain((s) =>
      fc.tuple(fc.integer({ min: 0, max: s.length - 1 }), fc.integer({ min: 1, max: 3 })).chain(([axis, other]) => {
        const s2 = s.map((d, i) => (i === axis ? other : d));
        return fc.tuple(floats(size(s)), floats(size(s2))).map(([a, b]) => ({ ops: [f32(s, a), f32(s2, b)], extra: axis }));
      }),
    ),
    mmx: (xs, axis) => np.concatenate(xs, axis),
    oracle: (xs, axis) => tfa.concat(xs, axis),
    tapeArgs: [0, 1],
    fdArgs: [0, 1],
  },
  {
    primitive: "slice",
    operands: smallShape().chain((s) =>
      fc.tuple(floats(size(s)), fc.tuple(...s.map((d) => fc.integer({ min: 0, max: d - 1 })))).chain(([v, begin]) =>
        fc.tuple(...s.map((d, i) => fc.integer({ min: 1, max: d - begin[i]! }))).map((sz) => ({ ops: [f32(s, v)], extra: { begin, size: sz } })),
      ),
    ),
    mmx: ([x], { begin, size }) => np.slice(x!, begin, size),
    oracle: ([x], { begin, size }) => tfa.slice(x!, begin, size),
    tapeArgs: [0],
    fdArgs: [0],
  },
  {
    primitive: "pad",
    operands: smallShape().chain((s) =>
      fc.tuple(floats(size(s)), fc.tuple(...s.map(() => fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })))), fc.float({ min: -1, max: 1, noNaN: true })).map(([v, widths, value]) => ({
        ops: [f32(s, v)],
        extra: { widths, value },
      })),
    ),
    mmx: ([x], { widths, value }) => np.pad(x!, widths, value),
    oracle: ([x], { widths, value }) => tfa.pad(x!, widths, value),
    tapeArgs: [0],
    fdArgs: [0],
  },
  {
    primitive: "take",
    operands: smallShape().chain((s) =>
      fc.integer({ min: 0, max: s.length - 1 }).chain((axis) =>
        fc.tuple(floats(size(s)), fc.array(fc.integer({ min: 0, max: s[axis]! - 1 }), { minLength: 1, maxLength: 5 })).map(([v, idx]) => ({ ops: [f32(s, v), i32([idx.length], idx)], extra: axis })),
      ),
    ),
    mmx: ([x, i], axis) => np.take(x!, i!, axis),
    oracle: ([x, i], axis) => tfa.gather(x!, i!, axis),
    tapeArgs: [0],
    fdArgs: [0],
  },
  {
    primitive: "scatter_add",
    operands: fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 })).chain(([rows, size_, cols]) =>
      fc.tuple(floats(rows * cols), fc.array(fc.integer({ min: 0, max: size_ - 1 }), { minLength: rows, maxLength: rows })).map(([v, idx]) => ({ ops: [f32([rows, cols], v), i32([rows], idx)], extra: size_ })),
    ),
    mmx: ([u, i], n) => np.scatterAdd(u!, i!, n),
    oracle: ([u, i], n) => tfa.unsortedSegmentSum(u!, i as unknown as tfa.Tensor1D, n),
    tapeArgs: [0],
    fdArgs: [0],
  },
  {
    primitive: "one_hot",
    // tfjs needs depth >= 2; depth 1 has its own test.
    operands: fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 2, max: 6 })).chain(([n, depth]) =>
      fc.array(fc.integer({ min: 0, max: depth - 1 }), { minLength: n, maxLength: n }).map((idx) => ({ ops: [i32([n], idx)], extra: depth })),
    ),
    mmx: ([i], depth) => np.oneHot(i!, depth),
    oracle: ([i], depth) => tfa.oneHot(i as unknown as tfa.Tensor1D, depth, 1, 0, "float32"),
  },
  {
    primitive: "matmul",
    operands: fc
      .record({ batch: fc.constantFrom<number[]>([], [2]), m: fc.integer({ min: 1, max: 4 }), k: fc.integer({ min: 1, max: 4 }), n: fc.integer({ min: 1, max: 4 }), tA: fc.boolean(), tB: fc.boolean() })
      .chain(({ batch, m, k, n, tA, tB }) => {
        const sa = [...batch, ...(tA ? [k, m] : [m, k])];
        const sb = [...batch, ...(tB ? [n, k] : [k, n])];
        return fc.tuple(floats(size(sa)), floats(size(sb))).map(([a, b]) => ({ ops: [f32(sa, a), f32(sb, b)], extra: { tA, tB } }));
      }),
    mmx: ([a, b], { tA, tB }) => bind("matmul", [a!, b!], { transposeA: tA, transposeB: tB }),
    oracle: ([a, b], { tA, tB }) => tfa.matMul(a!, b!, tA, tB),
    tapeArgs: [0, 1],
    fdArgs: [0, 1],
  },
  ...convCases(convSetup),
  ...convCases(groupedConvSetup, "grouped"),
  {
    primitive: "max_pool",
    operands: poolSetup.chain((c) => distinct(c.n * c.h * c.w * c.c).map((x) => ({ ops: [f32([c.n, c.h, c.w, c.c], x)], extra: c }))),
    mmx: ([x], c) => lax.maxPool(x!, c.k, { strides: c.stride, padding: c.padding }),
    oracle: ([x], c) => tfa.maxPool(x as tfa.Tensor4D, c.k, c.stride, c.padding === "SAME" ? "same" : "valid"),
    tapeArgs: [0],
    fdArgs: [0],
  },
  {
    primitive: "avg_pool",
    label: "VALID",
    operands: poolSetup.chain((c) => floats(c.n * c.h * c.w * c.c).map((x) => ({ ops: [f32([c.n, c.h, c.w, c.c], x)], extra: { ...c, padding: "VALID" } }))),
    mmx: ([x], c) => lax.avgPool(x!, c.k, { strides: c.stride, padding: "VALID" }),
    oracle: ([x], c) => tfa.avgPool(x as tfa.Tensor4D, c.k, c.stride, "valid"),
    tapeArgs: [0],
    fdArgs: [0],
  },
  {
    // tfjs's own AvgPoolGrad ignores that SAME leaves padding out of each average, so its tape is no
    // oracle here: the value is checked against tfjs's forward pass, the VJP by finite differences.
    primitive: "avg_pool",
    label: "SAME",
    operands: poolSetup.chain((c) => floats(c.n * c.h * c.w * c.c).map((x) => ({ ops: [f32([c.n, c.h, c.w, c.c], x)], extra: c }))),
    mmx: ([x], c) => lax.avgPool(x!, c.k, { strides: c.stride, padding: "SAME" }),
    oracle: ([x], c) => tfa.avgPool(x as tfa.Tensor4D, c.k, c.stride, "same"),
    fdArgs: [0],
  },
  {
    primitive: "max_pool",
    label: "all-negative windows",
    operands: poolSetup.chain((c) => distinct(c.n * c.h * c.w * c.c).map((x) => ({ ops: [f32([c.n, c.h, c.w, c.c], x.map((v) => v - 4))], extra: c }))),
    mmx: ([x], c) => lax.maxPool(x!, c.k, { strides: c.stride, padding: c.padding }),
    oracle: ([x], c) => tfa.maxPool(x as tfa.Tensor4D, c.k, c.stride, c.padding === "SAME" ? "same" : "valid"),
    tapeArgs: [0],
    fdArgs: [0],
  },
  {
    primitive: "avg_pool_grad",
    operands: poolSetup.chain((c) => {
      const padding = resolvePadding(c.padding, [c.h, c.w], [c.k, c.k], [c.stride, c.stride]);
      const out = (s: number, p: readonly [number, number]) => Math.floor((s + p[0] + p[1] - c.k) / c.stride) + 1;
      const shape = [c.n, out(c.h, padding[0]), out(c.w, padding[1]), c.c];
      return floats(size(shape)).map((g) => ({ ops: [f32(shape, g)], extra: { ...c, padding2d: padding } }));
    }),
    mmx: ([g], c) => bind("avg_pool_grad", [g!], { window: [c.k, c.k], strides: [c.stride, c.stride], padding: c.padding2d, inputShape: [c.n, c.h, c.w, c.c] }),
    // tfjs's gradient is only right without padding (see avg_pool SAME); with it, finite differences check.
    oracle: ([g], c) => (c.padding === "SAME" ? null : tfa.grad((x: Tensor) => tfa.sum(tfa.mul(tfa.avgPool(x as tfa.Tensor4D, c.k, c.stride, "valid"), g!)))(tfa.zeros([c.n, c.h, c.w, c.c]))),
    fdArgs: [0],
  },
  {
    primitive: "max_pool_argmax",
    operands: poolSetup.chain((c) => distinct(c.n * c.h * c.w * c.c).map((x) => ({ ops: [f32([c.n, c.h, c.w, c.c], x)], extra: c }))),
    mmx: ([x], c) => bind("max_pool_argmax", [x!], { window: [c.k, c.k], strides: [c.stride, c.stride], padding: resolvePadding(c.padding, [c.h, c.w], [c.k, c.k], [c.stride, c.stride]) }),
    oracle: ([x], c) => tfa.maxPoolWithArgmax(x as tfa.Tensor4D, c.k, c.stride, (c.padding === "SAME" ? "same" : "valid") as never, true).indexes,
  },
  { primitive: "tag", operands: oneFloat(), mmx: ([x]) => tag(x!, "layer"), oracle: ([x]) => tfa.clone(x!), tapeArgs: [0], fdArgs: [0] },
  // The oracle's gradient is zero, as stop_gradient's must be.
  { primitive: "stop_gradient", operands: oneFloat(), mmx: ([x]) => lax.stopGradient(x!), oracle: ([x]) => tfa.add(tfa.mul(x!, 0), tfa.tensor(x!.dataSync(), x!.shape)), tapeArgs: [0] },
];

/** Every primitive has at least one case: adding a primitive without a test fails here. */
export function uncoveredPrimitives(all: readonly Primitive[]): Primitive[] {
  const covered = new Set(primitiveCases.map((c) => c.primitive));
  return all.filter((p) => !covered.has(p));
}

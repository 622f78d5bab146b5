import { ShapedArray } from "./aval.js";
import type { DType } from "./dtype.js";
import type { ConvParams, Params, PoolParams, Primitive, RuleTable } from "./primitives.js";
import { broadcastShapes, shapeEqual, shapeSize, type Shape } from "./shape.js";
import { spatialOut } from "./spatial.js";

/**
 * Shape and dtype rules: given the abstract inputs and the parameters, the abstract output, or a
 * `RuleError` saying what does not fit. `bind` adds the primitive's name and the enclosing layer.
 */
export type ShapeRule<P extends Primitive> = (inputs: readonly ShapedArray[], params: Params<P>) => ShapedArray;

/** A shape or dtype that a primitive cannot take. Its message names the inputs; bind names the rest. */
export class RuleError extends Error {}

const fmt = (a: ShapedArray) => a.toString();

function arity(inputs: readonly ShapedArray[], n: number): void {
  if (inputs.length !== n) throw new RuleError(`expected ${n} operand(s), got ${inputs.length}`);
}

function sameDType(inputs: readonly ShapedArray[]): DType {
  const d = inputs[0]!.dtype;
  if (inputs.some((a) => a.dtype !== d)) {
    throw new RuleError(`operand dtypes differ: ${inputs.map(fmt).join(" and ")} (convert one with np.astype)`);
  }
  return d;
}

function broadcastOf(inputs: readonly ShapedArray[]): number[] {
  const shape = broadcastShapes(...inputs.map((a) => a.shape));
  if (!shape) throw new RuleError(`shapes ${inputs.map(fmt).join(" and ")} do not broadcast`);
  return shape;
}

const floatUnary = (inputs: readonly ShapedArray[]): ShapedArray => {
  arity(inputs, 1);
  const x = inputs[0]!;
  if (x.dtype !== "float32") throw new RuleError(`needs a float32 operand, got ${fmt(x)}`);
  return x;
};

const numericUnary = (inputs: readonly ShapedArray[]): ShapedArray => {
  arity(inputs, 1);
  const x = inputs[0]!;
  if (x.dtype === "bool") throw new RuleError(`needs a numeric operand, got ${fmt(x)}`);
  return x;
};

const numericBinary = (inputs: readonly ShapedArray[]): ShapedArray => {
  arity(inputs, 2);
  const dtype = sameDType(inputs);
  if (dtype === "bool") throw new RuleError(`needs numeric operands, got ${inputs.map(fmt).join(" and ")}`);
  return new ShapedArray(broadcastOf(inputs), dtype);
};

const floatBinary = (inputs: readonly ShapedArray[]): ShapedArray => {
  const out = numericBinary(inputs);
  if (out.dtype !== "float32") throw new RuleError(`needs float32 operands, got ${inputs.map(fmt).join(" and ")}`);
  return out;
};

const comparison = (inputs: readonly ShapedArray[]): ShapedArray => {
  arity(inputs, 2);
  sameDType(inputs);
  return new ShapedArray(broadcastOf(inputs), "bool");
};

function reduction(inputs: readonly ShapedArray[], axes: readonly number[]): ShapedArray {
  arity(inputs, 1);
  const x = inputs[0]!;
  for (const a of axes) {
    if (!Number.isInteger(a) || a < 0 || a >= x.ndim) throw new RuleError(`axis ${a} is out of range for ${fmt(x)}`);
  }
  return new ShapedArray(
    x.shape.filter((_, i) => !axes.includes(i)),
    x.dtype,
  );
}

function convOutShape(x: Shape, w: Shape, p: ConvParams): number[] {
  const oh = spatialOut(x[1]!, w[0]!, p.strides[0], p.dilation[0], p.padding[0]);
  const ow = spatialOut(x[2]!, w[1]!, p.strides[1], p.dilation[1], p.padding[1]);
  if (oh < 1 || ow < 1) {
    throw new RuleError(`a ${w[0]}x${w[1]} window does not fit input [${x.join(",")}] with the given padding, strides and dilation`);
  }
  return [x[0]!, oh, ow, w[3]!];
}

function checkConvParams(p: ConvParams): void {
  const ok = (v: readonly number[], min: number) => v.length === 2 && v.every((d) => Number.isInteger(d) && d >= min);
  if (!ok(p.strides, 1)) throw new RuleError(`strides must be two positive integers, got ${JSON.stringify(p.strides)}`);
  if (!ok(p.dilation, 1)) throw new RuleError(`dilation must be two positive integers, got ${JSON.stringify(p.dilation)}`);
  if (!(p.padding.length === 2 && p.padding.every((pp) => ok(pp, 0)))) {
    throw new RuleError(`padding must be [[top, bottom], [left, right]] of non-negative integers, got ${JSON.stringify(p.padding)}`);
  }
  if (!(Number.isInteger(p.groups) && p.groups >= 1)) throw new RuleError(`groups must be a positive integer, got ${JSON.stringify(p.groups)}`);
}

/**
 * A filter [KH, KW, Ci/G, Co] against `channels` input channels in G groups: Ci = G·(the filter's Ci/G), and
 * Co splits into G equal runs.
 */
function checkFilterGroups(channels: number, filter: Shape, groups: number, input: string, what: string): void {
  if (filter.length !== 4) throw new RuleError(`filter must be HWIO (rank 4), got [${filter.join(",")}]`);
  const perGroup = filter[2]!;
  if (channels !== perGroup * groups) {
    const expected = groups === 1 ? `the filter's input channels ${perGroup}` : `${groups} groups of the filter's ${perGroup} input channels`;
    throw new RuleError(`input channels ${channels} of ${input} do not match ${expected} of ${what}`);
  }
  if (filter[3]! % groups !== 0) throw new RuleError(`output channels ${filter[3]} of ${what} do not split into ${groups} groups`);
}

function checkConvOperands(x: ShapedArray, w: ShapedArray, groups: number): void {
  if (x.ndim !== 4) throw new RuleError(`input must be NHWC (rank 4), got ${fmt(x)}`);
  if (w.ndim !== 4) throw new RuleError(`filter must be HWIO (rank 4), got ${fmt(w)}`);
  checkFilterGroups(x.shape[3]!, w.shape, groups, fmt(x), fmt(w));
}

function poolOutShape(x: ShapedArray, p: PoolParams): number[] {
  if (x.ndim !== 4) throw new RuleError(`input must be NHWC (rank 4), got ${fmt(x)}`);
  const oh = spatialOut(x.shape[1]!, p.window[0], p.strides[0], 1, p.padding[0]);
  const ow = spatialOut(x.shape[2]!, p.window[1], p.strides[1], 1, p.padding[1]);
  if (oh < 1 || ow < 1) throw new RuleError(`a ${p.window.join("x")} window does not fit ${fmt(x)}`);
  return [x.shape[0]!, oh, ow, x.shape[3]!];
}

const floatPool = (inputs: readonly ShapedArray[], p: PoolParams): ShapedArray => {
  arity(inputs, 1);
  const x = inputs[0]!;
  if (x.dtype !== "float32") throw new RuleError(`needs a float32 input, got ${fmt(x)}`);
  return new ShapedArray(poolOutShape(x, p), "float32");
};

function indexOperand(indices: ShapedArray): void {
  if (indices.dtype !== "int32") throw new RuleError(`indices must be int32, got ${fmt(indices)}`);
}

export const shapeRules: RuleTable<{ [P in Primitive]: ShapeRule<P> }> = {
  neg: numericUnary,
  exp: floatUnary,
  log: floatUnary,
  log1p: floatUnary,
  tanh: floatUnary,
  logistic: floatUnary,
  sqrt: floatUnary,
  rsqrt: floatUnary,
  abs: numericUnary,
  sign: numericUnary,
  erf: floatUnary,
  sin: floatUnary,
  cos: floatUnary,
  relu: floatUnary,
  add: numericBinary,
  sub: numericBinary,
  mul: numericBinary,
  div: floatBinary,
  pow: floatBinary,
  maximum: numericBinary,
  minimum: numericBinary,
  equal: comparison,
  less: comparison,
  greater: comparison,
  less_equal: comparison,
  greater_equal: comparison,
  where: (inputs) => {
    arity(inputs, 3);
    const [cond, a, b] = inputs as [ShapedArray, ShapedArray, ShapedArray];
    if (cond.dtype !== "bool") throw new RuleError(`the condition must be bool, got ${fmt(cond)}`);
    const dtype = sameDType([a, b]);
    return new ShapedArray(broadcastOf(inputs), dtype);
  },
  convert_element_type: (inputs, { dtype }) => {
    arity(inputs, 1);
    return new ShapedArray(inputs[0]!.shape, dtype);
  },
  reduce_sum: (inputs, { axes }) => {
    const out = reduction(inputs, axes);
    if (out.dtype === "bool") throw new RuleError(`cannot sum a bool array ${fmt(inputs[0]!)} (convert it first)`);
    return out;
  },
  reduce_max: (inputs, { axes }) => reduction(inputs, axes),
  reduce_min: (inputs, { axes }) => reduction(inputs, axes),
  argmax: (inputs, { axis }) => new ShapedArray(reduction(inputs, [axis]).shape, "int32"),
  reshape: (inputs, { shape }) => {
    arity(inputs, 1);
    const x = inputs[0]!;
    if (shapeSize(shape) !== x.size || shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new RuleError(`cannot reshape ${fmt(x)} (${x.size} elements) to [${shape.join(",")}]`);
    }
    return new ShapedArray(shape, x.dtype);
  },
  transpose: (inputs, { perm }) => {
    arity(inputs, 1);
    const x = inputs[0]!;
    const sorted = [...perm].sort((a, b) => a - b);
    if (perm.length !== x.ndim || sorted.some((p, i) => p !== i)) {
      throw new RuleError(`perm [${perm.join(",")}] is not a permutation of the axes of ${fmt(x)}`);
    }
    return new ShapedArray(
      perm.map((p) => x.shape[p]!),
      x.dtype,
    );
  },
  broadcast_to: (inputs, { shape }) => {
    arity(inputs, 1);
    const x = inputs[0]!;
    const b = broadcastShapes(x.shape, shape);
    if (!b || !shapeEqual(b, shape)) throw new RuleError(`cannot broadcast ${fmt(x)} to [${shape.join(",")}]`);
    return new ShapedArray(shape, x.dtype);
  },
  concatenate: (inputs, { axis }) => {
    if (inputs.length < 1) throw new RuleError("needs at least one operand");
    const dtype = sameDType(inputs);
    const first = inputs[0]!;
    if (axis < 0 || axis >= first.ndim) throw new RuleError(`axis ${axis} is out of range for ${fmt(first)}`);
    let total = 0;
    for (const a of inputs) {
      if (a.ndim !== first.ndim || a.shape.some((d, i) => i !== axis && d !== first.shape[i])) {
        throw new RuleError(`operands ${inputs.map(fmt).join(", ")} differ outside axis ${axis}`);
      }
      total += a.shape[axis]!;
    }
    const shape = [...first.shape];
    shape[axis] = total;
    return new ShapedArray(shape, dtype);
  },
  slice: (inputs, { begin, size }) => {
    arity(inputs, 1);
    const x = inputs[0]!;
    const ok =
      begin.length === x.ndim &&
      size.length === x.ndim &&
      begin.every((b, i) => Number.isInteger(b) && b >= 0 && Number.isInteger(size[i]) && size[i]! >= 0 && b + size[i]! <= x.shape[i]!);
    if (!ok) throw new RuleError(`slice begin [${begin.join(",")}] size [${size.join(",")}] does not fit ${fmt(x)}`);
    return new ShapedArray(size, x.dtype);
  },
  pad: (inputs, { widths }) => {
    arity(inputs, 1);
    const x = inputs[0]!;
    if (widths.length !== x.ndim || widths.some(([lo, hi]) => !(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 0 && hi >= 0))) {
      throw new RuleError(`pad widths ${JSON.stringify(widths)} do not fit ${fmt(x)} (one non-negative [before, after] per axis)`);
    }
    return new ShapedArray(
      x.shape.map((d, i) => d + widths[i]![0] + widths[i]![1]),
      x.dtype,
    );
  },
  take: (inputs, { axis }) => {
    arity(inputs, 2);
    const [x, indices] = inputs as [ShapedArray, ShapedArray];
    indexOperand(indices);
    if (axis < 0 || axis >= x.ndim) throw new RuleError(`axis ${axis} is out of range for ${fmt(x)}`);
    return new ShapedArray([...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)], x.dtype);
  },
  scatter_add: (inputs, { axis, size }) => {
    arity(inputs, 2);
    const [updates, indices] = inputs as [ShapedArray, ShapedArray];
    indexOperand(indices);
    const k = indices.ndim;
    const mid = updates.shape.slice(axis, axis + k);
    if (axis < 0 || axis + k > updates.ndim || !shapeEqual(mid, indices.shape)) {
      throw new RuleError(`updates ${fmt(updates)} do not hold indices ${fmt(indices)} at axis ${axis}`);
    }
    return new ShapedArray([...updates.shape.slice(0, axis), size, ...updates.shape.slice(axis + k)], updates.dtype);
  },
  one_hot: (inputs, { depth }) => {
    arity(inputs, 1);
    indexOperand(inputs[0]!);
    if (!Number.isInteger(depth) || depth < 1) throw new RuleError(`depth must be a positive integer, got ${depth}`);
    return new ShapedArray([...inputs[0]!.shape, depth], "float32");
  },
  matmul: (inputs, { transposeA, transposeB }) => {
    arity(inputs, 2);
    const [a, b] = inputs as [ShapedArray, ShapedArray];
    const dtype = sameDType(inputs);
    if (dtype !== "float32") throw new RuleError(`needs float32 operands, got ${fmt(a)} and ${fmt(b)}`);
    if (a.ndim < 2 || a.ndim !== b.ndim) throw new RuleError(`operands must have the same rank >= 2, got ${fmt(a)} and ${fmt(b)}`);
    const batch = a.shape.slice(0, -2);
    if (!shapeEqual(batch, b.shape.slice(0, -2))) throw new RuleError(`batch dimensions differ: ${fmt(a)} and ${fmt(b)}`);
    const [m, ka] = transposeA ? [a.shape[a.ndim - 1]!, a.shape[a.ndim - 2]!] : [a.shape[a.ndim - 2]!, a.shape[a.ndim - 1]!];
    const [kb, n] = transposeB ? [b.shape[b.ndim - 1]!, b.shape[b.ndim - 2]!] : [b.shape[b.ndim - 2]!, b.shape[b.ndim - 1]!];
    if (ka !== kb) {
      const ta = transposeA ? "ᵀ" : "";
      const tb = transposeB ? "ᵀ" : "";
      throw new RuleError(`inner dimensions differ: ${fmt(a)}${ta} @ ${fmt(b)}${tb} (${ka} vs ${kb})`);
    }
    return new ShapedArray([...batch, m, n], dtype);
  },
  conv: (inputs, params) => {
    arity(inputs, 2);
    const [x, w] = inputs as [ShapedArray, ShapedArray];
    sameDType(inputs);
    checkConvParams(params);
    checkConvOperands(x, w, params.groups);
    return new ShapedArray(convOutShape(x.shape, w.shape, params), x.dtype);
  },
  conv_transpose: (inputs, params) => {
    arity(inputs, 2);
    const [ct, w] = inputs as [ShapedArray, ShapedArray];
    sameDType(inputs);
    checkConvParams(params);
    if (params.inputShape.length !== 4) throw new RuleError(`inputShape must be NHWC (rank 4), got [${params.inputShape.join(",")}]`);
    checkFilterGroups(params.inputShape[3]!, w.shape, params.groups, `[${params.inputShape.join(",")}]`, fmt(w));
    const expected = convOutShape(params.inputShape, w.shape, params);
    if (!shapeEqual(expected, ct.shape)) {
      throw new RuleError(`cotangent ${fmt(ct)} is not the conv output [${expected.join(",")}] of input [${params.inputShape.join(",")}]`);
    }
    return new ShapedArray(params.inputShape, ct.dtype);
  },
  conv_filter_grad: (inputs, params) => {
    arity(inputs, 2);
    const [x, ct] = inputs as [ShapedArray, ShapedArray];
    sameDType(inputs);
    checkConvParams(params);
    if (x.ndim !== 4) throw new RuleError(`input must be NHWC (rank 4), got ${fmt(x)}`);
    checkFilterGroups(x.shape[3]!, params.filterShape, params.groups, fmt(x), `filter [${params.filterShape.join(",")}]`);
    const expected = convOutShape(x.shape, params.filterShape, params);
    if (!shapeEqual(expected, ct.shape)) {
      throw new RuleError(`cotangent ${fmt(ct)} is not the conv output [${expected.join(",")}] of ${fmt(x)} and filter [${params.filterShape.join(",")}]`);
    }
    return new ShapedArray(params.filterShape, x.dtype);
  },
  avg_pool: floatPool,
  max_pool: floatPool,
  max_pool_argmax: (inputs, params) => new ShapedArray(floatPool(inputs, params).shape, "int32"),
  avg_pool_grad: (inputs, params) => {
    arity(inputs, 1);
    const ct = inputs[0]!;
    const expected = poolOutShape(new ShapedArray(params.inputShape, ct.dtype), params);
    if (!shapeEqual(expected, ct.shape)) throw new RuleError(`cotangent ${fmt(ct)} is not the pooled shape [${expected.join(",")}]`);
    return new ShapedArray(params.inputShape, ct.dtype);
  },
  tag: (inputs) => {
    arity(inputs, 1);
    return inputs[0]!;
  },
  stop_gradient: (inputs) => {
    arity(inputs, 1);
    return inputs[0]!;
  },
};

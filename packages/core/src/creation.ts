import * as tf from "@tensorflow/tfjs-core";
import type { Array } from "./array.js";
import { DeviceArray } from "./device-array.js";
import { assertDType, type DType } from "./dtype.js";
import { assertShape, shapeSize } from "./shape.js";

/** Nested JS arrays of numbers or booleans. */
export type NestedValues = number | boolean | readonly NestedValues[];

export interface ArrayOptions {
  shape?: readonly number[];
  dtype?: DType;
}

function inferShape(values: NestedValues, path = "values"): number[] {
  if (!globalThis.Array.isArray(values)) return [];
  const list = values as readonly NestedValues[];
  if (list.length === 0) return [0];
  const inner = inferShape(list[0]!, `${path}[0]`);
  list.forEach((v, i) => {
    const s = inferShape(v, `${path}[${i}]`);
    if (s.length !== inner.length || s.some((d, j) => d !== inner[j])) {
      throw new TypeError(`np.array: ragged nested array at ${path}[${i}] (shape [${s}] vs [${inner}])`);
    }
  });
  return [list.length, ...inner];
}

function flat(values: NestedValues, out: number[]): void {
  if (globalThis.Array.isArray(values)) for (const v of values as readonly NestedValues[]) flat(v, out);
  else out.push(typeof values === "boolean" ? Number(values) : (values as number));
}

/**
 * A concrete array from JS values: a number, nested arrays, or a typed array (with `shape`). The dtype
 * defaults to float32, to int32 for an Int32Array and to bool for booleans.
 */
export function array(values: NestedValues | Float32Array | Int32Array | Uint8Array, opts: ArrayOptions = {}): Array {
  let dtype: DType;
  let data: Float32Array | Int32Array | Uint8Array | number[];
  let inferred: number[];
  if (ArrayBuffer.isView(values)) {
    dtype = opts.dtype ?? (values instanceof Int32Array ? "int32" : values instanceof Uint8Array ? "bool" : "float32");
    data = values;
    inferred = [values.length];
  } else {
    const first = firstLeaf(values);
    dtype = opts.dtype ?? (typeof first === "boolean" ? "bool" : "float32");
    inferred = inferShape(values);
    data = [];
    flat(values, data);
  }
  assertDType(dtype, "np.array");
  const shape = opts.shape ? [...opts.shape] : inferred;
  assertShape(shape, "np.array");
  if (shapeSize(shape) !== data.length) {
    throw new TypeError(`np.array: ${data.length} values do not fill shape [${shape.join(",")}] (${shapeSize(shape)} elements)`);
  }
  if (dtype === "int32" && !ArrayBuffer.isView(data) && data.some((v) => !Number.isInteger(v))) {
    throw new TypeError("np.array: an int32 array needs integer values");
  }
  return new DeviceArray(tf.tensor(data as never, shape, dtype));
}

function firstLeaf(v: NestedValues): number | boolean | undefined {
  while (globalThis.Array.isArray(v)) {
    if ((v as readonly NestedValues[]).length === 0) return undefined;
    v = (v as readonly NestedValues[])[0]!;
  }
  return v as number | boolean;
}

/** Integers start, start+step, ... below stop, as a concrete array (int32 unless a dtype is given). */
export function arange(start: number, stop?: number, step = 1, dtype: DType = "int32"): Array {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0) throw new RangeError("np.arange: step must not be 0");
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const values = globalThis.Array.from({ length: n }, (_, i) => start + i * step);
  return array(values, { shape: [n], dtype });
}

import { Array, np } from "@mmx/core";

/** The typed arrays a host array may hold (the element types of mmx arrays, plus raw bytes). */
export type HostData = Float32Array | Int32Array | Uint8Array;

/**
 * Values on the host (JS memory), row-major, with a shape. Batching, normalisation and augmentation
 * work on these: they are plain JS loops, so they are cheap, need no backend, and give bit-identical
 * results everywhere. Turn one into an mmx `Array` with {@link toArray}.
 */
export interface HostArray<T extends HostData = HostData> {
  readonly data: T;
  readonly shape: readonly number[];
}

/** A host array, checked: the shape's dimensions are whole numbers >= 0 and fill `data` exactly. */
export function hostArray<T extends HostData>(data: T, shape: readonly number[], what = "hostArray"): HostArray<T> {
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new TypeError(`${what}: shape [${shape.join(",")}] must hold whole numbers >= 0`);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== data.length) {
    throw new TypeError(`${what}: ${data.length} values do not fill shape [${shape.join(",")}] (${size} elements)`);
  }
  return { data, shape: [...shape] };
}

/** True for a {@link HostArray} (a typed array plus a shape), false for an mmx `Array`. */
export function isHostArray(x: unknown): x is HostArray {
  return typeof x === "object" && x !== null && !(x instanceof Array) && ArrayBuffer.isView((x as HostArray).data) && globalThis.Array.isArray((x as HostArray).shape);
}

/** The values of an mmx `Array` (read once, synchronously) or a host array, as a host array. */
export function toHost(x: Array | HostArray, what = "toHost"): HostArray {
  if (isHostArray(x)) return hostArray(x.data, x.shape, what);
  if (x instanceof Array) return { data: x.dataSync(), shape: [...x.shape] };
  throw new TypeError(`${what}: expected an mmx Array or a host array { data, shape }, got ${describe(x)}`);
}

/**
 * A new mmx `Array` holding a host array's values: float32 for Float32Array, int32 for Int32Array.
 * Raw bytes (Uint8Array) become int32, not bool: on the host they are pixel values or labels.
 */
export function toArray(x: HostArray): Array {
  const data = x.data instanceof Uint8Array ? Int32Array.from(x.data) : x.data;
  return np.array(data, { shape: x.shape, dtype: data instanceof Int32Array ? "int32" : "float32" });
}

/** The number of values in one row (one example) of a host array. */
export function rowSize(shape: readonly number[]): number {
  return shape.slice(1).reduce((a, b) => a * b, 1);
}

function describe(x: unknown): string {
  if (x === null) return "null";
  if (typeof x !== "object") return typeof x;
  return x.constructor?.name ?? "object";
}

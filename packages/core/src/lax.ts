import type { Array } from "./array.js";
import type { Padding2D } from "./primitives.js";
import { pair, type SpatialPair } from "./spatial.js";
import { bind } from "./trace.js";

/**
 * Lower-level operations, as in jax.lax: convolutions and pools in NHWC (inputs) / HWIO (filters),
 * and stopGradient.
 */
export type PaddingSpec = "SAME" | "VALID" | number | readonly [readonly [number, number], readonly [number, number]];
/** Window arithmetic the layers share with the shape rules (output sizes, [h, w] pairs). */
export { pair, spatialOut, type SpatialPair } from "./spatial.js";

/** Resolves a padding spec to explicit pads. SAME follows TensorFlow: the extra row goes at the bottom. */
export function resolvePadding(spec: PaddingSpec, inputHW: readonly number[], windowHW: readonly number[], strides: readonly number[], dilation: readonly number[] = [1, 1]): Padding2D {
  if (spec === "VALID") return [[0, 0], [0, 0]];
  if (typeof spec === "number") {
    if (!Number.isInteger(spec) || spec < 0) throw new RangeError(`padding must be a non-negative integer, got ${spec}`);
    return [[spec, spec], [spec, spec]];
  }
  if (spec === "SAME") {
    const one = (i: 0 | 1): [number, number] => {
      const eff = (windowHW[i]! - 1) * dilation[i]! + 1;
      const out = Math.ceil(inputHW[i]! / strides[i]!);
      const total = Math.max((out - 1) * strides[i]! + eff - inputHW[i]!, 0);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    };
    return [one(0), one(1)];
  }
  if (globalThis.Array.isArray(spec) && spec.length === 2) return [[spec[0][0], spec[0][1]], [spec[1][0], spec[1][1]]];
  throw new TypeError(`padding must be 'SAME', 'VALID', a number or [[top, bottom], [left, right]], got ${JSON.stringify(spec)}`);
}

export interface ConvOptions {
  strides?: SpatialPair;
  padding?: PaddingSpec;
  dilation?: SpatialPair;
  /** Feature groups G (default 1): x's Ci and w's Co split into G runs, run g of the output reading run g of x only; w is [KH,KW,Ci/G,Co]. */
  groups?: number;
}

/** 2-D convolution of x [N,H,W,Ci] with w [KH,KW,Ci/groups,Co]. */
export function conv(x: Array, w: Array, opts: ConvOptions = {}): Array {
  const strides = pair(opts.strides ?? 1, "conv strides");
  const dilation = pair(opts.dilation ?? 1, "conv dilation");
  const groups = opts.groups ?? 1;
  if (!(Number.isInteger(groups) && groups >= 1)) throw new RangeError(`conv groups must be a positive integer, got ${JSON.stringify(opts.groups)}`);
  const padding = resolvePadding(opts.padding ?? "VALID", x.shape.slice(1, 3), w.shape.slice(0, 2), strides, dilation);
  return bind("conv", [x, w], { strides, padding, dilation, groups });
}

export interface PoolOptions {
  strides?: SpatialPair;
  padding?: PaddingSpec;
}

function poolParams(x: Array, window: SpatialPair, opts: PoolOptions, what: string) {
  const win = pair(window, `${what} window`);
  const strides = pair(opts.strides ?? win, `${what} strides`);
  const padding = resolvePadding(opts.padding ?? "VALID", x.shape.slice(1, 3), win, strides);
  return { window: win, strides, padding };
}

/** Average pool over NHWC windows; padded cells are left out of each average (as TensorFlow does). */
export function avgPool(x: Array, window: SpatialPair, opts: PoolOptions = {}): Array {
  return bind("avg_pool", [x], poolParams(x, window, opts, "avgPool"));
}

export function maxPool(x: Array, window: SpatialPair, opts: PoolOptions = {}): Array {
  return bind("max_pool", [x], poolParams(x, window, opts, "maxPool"));
}

/** max(x, 0) for float32 x, with gradient 0 at 0 (as PyTorch); NaN stays NaN. */
export { relu } from "./np.js";

/** The identity whose gradient is zero. */
export function stopGradient(x: Array): Array {
  return bind("stop_gradient", [x], {});
}

/**
 * Marks a layer boundary named `name`: the identity, kept in the IR as `tag[name=...]`. Transforms
 * find layer k by its tags (mixup, capture); grad passes through it.
 */
export function tag(x: Array, name: string): Array {
  if (typeof name !== "string" || name.length === 0) throw new TypeError(`tag: the name must be a non-empty string, got ${JSON.stringify(name)}`);
  return bind("tag", [x], { name });
}

/** Loops as one primitive: `scan(f, init, xs)` and `foriLoop(lo, hi, body, init)` (see scan.ts). */
export { scan, foriLoop, type ScanOptions } from "./scan.js";

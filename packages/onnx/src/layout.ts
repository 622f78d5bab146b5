import type { GraphBuilder } from "./graph-builder.js";
import { ints } from "./graph-builder.js";

/**
 * mmx convolutions and pools are NHWC with HWIO filters; ONNX's are NCHW with OIHW filters. Each
 * lowering transposes in and out; onnxruntime's transpose optimizer cancels the pairs that meet
 * between consecutive layers (measured: see the README's performance notes).
 */
export const toNCHW = (b: GraphBuilder, x: string): string => b.op("Transpose", [x], { perm: ints([0, 3, 1, 2]) });
export const toNHWC = (b: GraphBuilder, x: string): string => b.op("Transpose", [x], { perm: ints([0, 2, 3, 1]) });
/** HWIO filter to OIHW. */
export const hwioToOIHW = (b: GraphBuilder, w: string): string => b.op("Transpose", [w], { perm: ints([3, 2, 0, 1]) });

/** ONNX pads for two spatial axes: [top, left, bottom, right]. */
export const onnxPads = (p: readonly (readonly [number, number])[]): number[] => [p[0]![0], p[1]![0], p[0]![1], p[1]![1]];

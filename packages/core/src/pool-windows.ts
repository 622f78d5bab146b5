import type { PoolParams } from "./primitives.js";

/**
 * How many real (unpadded) input cells each output window of a 2-D pool covers, per axis: rows[o]
 * for output row o, cols[o] for output column o. A window's count is rows[i]·cols[j]; average pools
 * that leave padding out of the mean divide by it (every executor lowers that rescaling the same way).
 */
export function windowCellCounts(inputHW: readonly number[], outHW: readonly number[], p: PoolParams): { rows: Float64Array; cols: Float64Array } {
  const along = (size: number, out: number, k: number, s: number, lo: number) =>
    Float64Array.from({ length: out }, (_, o) => {
      const start = o * s - lo;
      return Math.min(start + k, size) - Math.max(start, 0);
    });
  return {
    rows: along(inputHW[0]!, outHW[0]!, p.window[0], p.strides[0], p.padding[0][0]),
    cols: along(inputHW[1]!, outHW[1]!, p.window[1], p.strides[1], p.padding[1][0]),
  };
}

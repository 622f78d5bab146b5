import { Array } from "@mmx/core";
import { allCloseReport } from "../close.js";
import { ConformanceFailure, type CheckContext } from "./types.js";

/** An array's values, read with `await data()` (the one read every backend has), the array kept. */
export async function values(a: Array): Promise<number[]> {
  return globalThis.Array.from(await a.data(), Number);
}

/** Row i of a [B, ...] array's values. */
export function row(v: readonly number[], batch: number, i: number): number[] {
  const width = v.length / batch;
  return v.slice(i * width, (i + 1) * width);
}

/** The rows of a [B, ...] array's values reordered: row i of the result is row order[i]. */
export function gatherRows(v: readonly number[], batch: number, order: readonly number[]): number[] {
  return order.flatMap((j) => row(v, batch, j));
}

/** Fails with `what` and the worst element when actual and expected are not close. */
export function expectClose(ctx: Pick<CheckContext, "tolerance">, actual: readonly number[], expected: readonly number[], what: string): void {
  const report = allCloseReport(actual, expected, ctx.tolerance);
  if (report) throw new ConformanceFailure(`${what}: ${report}`);
}

/** One-hot rows of int labels. */
export function oneHotRows(labels: readonly number[], classes: number): number[] {
  return labels.flatMap((c) => globalThis.Array.from({ length: classes }, (_, j) => (j === c ? 1 : 0)));
}

/** A model's output: the array it returns, or the `out` of the object it returns. */
export function outOf(r: Array | { out: Array }): Array {
  return r instanceof Array ? r : r.out;
}

import { describe, expect, it } from "vitest";
import { compareIntervals, intervalsOverlap, overlapLines } from "./overlap.js";
import { stat, type Row } from "./table.js";

const s = (mean: number, std: number) => ({ mean, std, n: 3 });
/** A table row whose every metric has the given error statistics (what the comparisons read). */
const row = (method: Row["method"], error: number[], fgsm: number[] = [0.5, 0.5, 0.5]): Row => ({
  dataset: "fashion-mnist",
  method,
  variant: method,
  label: method,
  alpha: 1,
  seeds: error.length,
  fgsmEps: 0.03,
  stats: { error: stat(error), nll: stat(error.map((e) => 2 * e)), ece: stat(error), nllT: stat(error.map((e) => 2 * e)), eceT: stat(error), fgsm: stat(fgsm) },
});

describe("seed intervals", () => {
  it("overlap when mean ± std ranges share a point, touching included", () => {
    expect(intervalsOverlap(s(0.165, 0.002), s(0.149, 0.003))).toBe(false);
    expect(intervalsOverlap(s(0.16, 0.01), s(0.15, 0.005))).toBe(true);
    // Touching: 0.15 + 0.005 = 0.155 = 0.16 - 0.005.
    expect(intervalsOverlap(s(0.16, 0.005), s(0.15, 0.005))).toBe(true);
    expect(intervalsOverlap(s(0.15, 0.005), s(0.16, 0.005))).toBe(true);
    // Symmetric, and a zero-width interval inside another overlaps it.
    expect(intervalsOverlap(s(0.15, 0), s(0.16, 0.02))).toBe(true);
    expect(intervalsOverlap(s(0.2, 0), s(0.16, 0.02))).toBe(false);
  });

  it("compares every pair of methods per metric, names the better mean, and says whether the intervals overlap", () => {
    const rows = [row("none", [0.165, 0.163, 0.167]), row("input", [0.151, 0.15, 0.152]), row("manifold", [0.149, 0.147, 0.151], [0.6, 0.7, 0.65])];
    const error = compareIntervals(rows).filter((c) => c.metric === "error");
    expect(error.map((c) => [c.better, c.worse, c.overlap])).toEqual([
      ["input", "none", false],
      ["manifold", "none", false],
      ["manifold", "input", true],
    ]);
    expect(error[1]!.gap).toBeCloseTo(0.016, 12);
    // Higher is better for FGSM accuracy.
    const fgsm = compareIntervals(rows).filter((c) => c.metric === "fgsm");
    expect(fgsm.find((c) => c.worse === "none" && c.better === "manifold")?.overlap).toBe(false);
    expect(compareIntervals(rows)).toHaveLength(3 * 4);
    const [line] = overlapLines(rows);
    expect(line).toMatch(/^fashion-mnist seed intervals \(mean ± std over the seeds\): test error: input ahead of none by 1\.40, intervals apart; manifold ahead of none by 1\.60, intervals apart; manifold ahead of input by 0\.20, intervals overlap\. test NLL: /);
    // A single seed has no interval: no verdict, rather than "apart".
    const single = compareIntervals([row("none", [0.165], [0.5]), row("manifold", [0.149], [0.6])]);
    expect(single.map((c) => c.overlap)).toEqual([null, null, null, null]);
    expect(overlapLines([row("none", [0.165], [0.5]), row("manifold", [0.149], [0.6])])[0]).toMatch(/test error: manifold ahead of none by 1\.60, one seed, no intervals\./);
  });
});

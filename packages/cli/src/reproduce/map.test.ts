import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Progress } from "../progress.js";
import { parseArgs } from "../args.js";
import { cellResultFile } from "../sweep/run-cell.js";
import type { CellResult } from "../sweep/run-cell.js";
import { run, tempDir } from "../test-helpers.js";
import { REPRODUCE_OPTIONS } from "./command.js";
import { mapGridFromArgs } from "./map-grid.js";
import { mapHeatmapSpec } from "./map-plot.js";
import { formatMap, mapFindings, mapPoints } from "./map-table.js";
import { runMap } from "./map.js";

/** What the map reads of a finished cell: its size, epochs, method, last-epoch error and NLL, and its NLL and ECE after temperature scaling (absent: a cell of an older mmx). */
const result = (size: number, epochs: number, method: CellResult["config"]["method"], error: number, nll: number, calibrated?: { nll: number; ece: number }): CellResult =>
  ({ config: { trainLimit: size, epochs, method }, final: { testError: error, testNll: nll }, ...(calibrated ? { calibrated: { temperature: 1.5, ...calibrated, fitOn: "held-out", fitCount: 100 } } : {}) }) as unknown as CellResult;

describe("the map's table", () => {
  it("gives per point mixup − no mixup, flags seed intervals that are apart, and finds where mixup wins", () => {
    const results = [
      ...[0.2, 0.21, 0.22].map((e, i) => result(500, 10, "none", e, 0.6, { nll: [0.5, 0.51, 0.52][i]!, ece: 0.03 })),
      ...[0.15, 0.16, 0.17].map((e, i) => result(500, 10, "manifold", e, 0.5, { nll: [0.45, 0.46, 0.47][i]!, ece: 0.02 })),
      ...[0.2, 0.215, 0.23].map((e, i) => result(500, 10, "input", e, 0.7, { nll: [0.5, 0.52, 0.54][i]!, ece: 0.04 })),
      result(100, 10, "none", 0.3, 1),
      result(100, 10, "manifold", 0.31, 0.9),
    ];
    const points = mapPoints(results);
    expect(points.map((p) => [p.size, p.epochs])).toEqual([[100, 10], [500, 10]]);
    const big = points[1]!;
    expect(big.deltas.manifold!.error.value).toBeCloseTo(-0.05, 12);
    expect(big.deltas.manifold!.error.overlap).toBe(false);
    expect(big.deltas.input!.error.value).toBeCloseTo(0.005, 12);
    expect(big.deltas.input!.error.overlap).toBe(true);
    expect(big.deltas.input!.nll.value).toBeCloseTo(0.1, 12);
    // One seed: no intervals, so no verdict; input was not run at this point.
    expect(points[0]!.deltas.manifold!.error.overlap).toBeNull();
    expect(points[0]!.deltas.input).toBeUndefined();

    const text = formatMap(points, "text").split("\n");
    expect(text[0]).toMatch(/^ *train images +epochs +seeds +no mixup test error % +manifold − none test error +input − none test error +no mixup test NLL +manifold − none test NLL +input − none test NLL +no mixup test NLL \(T\) +manifold − none test NLL \(T\) +input − none test NLL \(T\) +no mixup ECE % \(T\) +manifold − none ECE \(T\) +input − none ECE \(T\)$/);
    // The cells at 100 images have no calibrated metrics (finished by an older mmx): "--", not a number.
    expect(text[2]!.trim().split(/ {2,}/)).toEqual(["100", "10", "1", "30.00", "+1.00", "--", "1.000", "−0.100", "--", "--", "--", "--", "--", "--", "--"]);
    expect(text[3]!.trim().split(/ {2,}/)).toEqual(["500", "10", "3", "21.00", "−5.00 *", "+0.50", "0.600", "−0.100 *", "+0.100 *", "0.510", "−0.050 *", "+0.010", "3.00", "−1.00 *", "+1.00 *"]);
    expect(formatMap(points, "markdown").split("\n")[3]).toBe("| 500 | 10 | 3 | 21.00 | −5.00 * | +0.50 | 0.600 | −0.100 * | +0.100 * | 0.510 | −0.050 * | +0.010 | 3.00 | −1.00 * | +1.00 * |");
    expect(mapFindings(points)[0]).toBe("manifold − none, test error %: lower (mixup better) at 1 of 2 points (train images × epochs: 500×10); seed intervals apart at 1 of the 1 with several seeds (500×10).");
    // NLL: manifold is lower at both points, one of them with a single seed.
    expect(mapFindings(points)[1]).toBe("manifold − none, test NLL: lower (mixup better) at 2 of 2 points (train images × epochs: 100×10, 500×10); seed intervals apart at 1 of the 1 with several seeds (500×10).");
    expect(mapFindings(points.slice(0, 1))[1]).toBe("manifold − none, test NLL: lower (mixup better) at 1 of 1 points (train images × epochs: 100×10); one seed per point, so no seed intervals.");
    // After temperature scaling only the point whose cells were calibrated counts.
    expect(mapFindings(points)[2]).toBe("manifold − none, test NLL (T): lower (mixup better) at 1 of 1 points (train images × epochs: 500×10); seed intervals apart at 1 of the 1 with several seeds (500×10).");
    expect(mapFindings(points)[4]).toBe("input − none, test error %: lower (mixup better) at 0 of 1 points (train images × epochs: none).");
    expect((mapHeatmapSpec(points, "nllT") as { data: { values: unknown[] } }).data.values).toHaveLength(2);

    const spec = mapHeatmapSpec(points, "error") as { data: { values: { comparison: string; delta: number; label: string }[] }; spec: { layer: { encoding: { color: { scale?: { domain: number[] } } } }[] } };
    expect(spec.data.values).toHaveLength(3);
    expect(spec.data.values.find((v) => v.comparison === "manifold − none" && v.delta < 0)?.label).toBe("−5.00 *");
    // A symmetric colour scale: white is "no difference".
    const [lo, hi] = spec.spec.layer[0]!.encoding.color.scale!.domain as [number, number];
    expect(lo).toBe(-hi);
    expect(hi).toBeCloseTo(5, 9);
  });
});

describe("mmx reproduce --regime map", () => {
  it("checks its flags: one line naming the flag, exit 2", async () => {
    const cases: [string[], RegExp][] = [
      [["--sizes", "10"], /--sizes: 10 is smaller than the cells' batch of 50/],
      [["--sizes", "100,1.5"], /--sizes: '1\.5' is not a whole number >= 1/],
      [["--sizes", "100,100"], /--sizes lists 100 twice/],
      [["--sizes", "70000"], /--sizes: 70000 is more than the 60000 Fashion-MNIST training images/],
      [["--epochs-grid", "0"], /--epochs-grid: '0' is not a whole number >= 1/],
      [["--seeds", "-1"], /--seeds: '-1' is not a whole number >= 0/],
      [["--epochs", "3"], /--epochs does not apply; give the map's epoch counts with --epochs-grid/],
      [["--base", "standard"], /--base: unknown value 'standard'/],
    ];
    for (const [flags, message] of cases) {
      const r = await run(["reproduce", "--regime", "map", "--preset", "tiny", ...flags]);
      expect(r.code, flags.join(" ")).toBe(2);
      expect(r.stderr.trim().split("\n"), flags.join(" ")).toHaveLength(1);
      expect(r.stderr, flags.join(" ")).toMatch(message);
    }
    const full = await run(["reproduce", "--regime", "map", "--preset", "full"]);
    expect(full.stderr).toMatch(/the map regime has no 'full' preset/);
    const elsewhere = await run(["reproduce", "--regime", "small-data", "--preset", "tiny", "--sizes", "100"]);
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toMatch(/--sizes applies to --regime map only \(this is --regime small-data\)/);
  });

  it("stopped after some cells, trains only the missing ones when run again, and reports the whole grid", async () => {
    const out = join(tempDir(), "map");
    const grid = mapGridFromArgs(parseArgs(["--base", "small-data", "--sizes", "100,150", "--epochs-grid", "1,2"], REPRODUCE_OPTIONS, "reproduce"), "tiny");
    expect(grid).toMatchObject({ base: "small-data", sizes: [100, 150], epochs: [1, 2], seeds: [0], plan: { model: "mlp", hidden: [32, 32], batch: 50 } });
    // As if interrupted after 5 of the 12 cells (3 methods at each of 4 points).
    const first = await runMap({ grid, out, backend: "wasm", jobs: 1, progress: new Progress(null), stopAfterCells: 5 });
    expect(first).toMatchObject({ cells: 12, reused: 0, trainedNow: 5, left: 7 });
    const cellsDir = join(out, "cells");
    const done = () => readdirSync(cellsDir).filter((id) => statSync(cellResultFile(join(cellsDir, id)), { throwIfNoEntry: false }));
    const finishedFirst = done();
    expect(finishedFirst).toHaveLength(5);
    const stamps = new Map(finishedFirst.map((id) => [id, statSync(cellResultFile(join(cellsDir, id))).mtimeMs]));

    const r = await run(["reproduce", "--regime", "map", "--preset", "tiny", "--base", "small-data", "--sizes", "100,150", "--epochs-grid", "1,2", "--backend", "wasm", "--jobs", "1", "--out", out]);
    expect(r.stderr).not.toMatch(/^mmx( [a-z]+)?:/m);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/map: 12 cells \(2 sizes × 2 epoch counts × 3 methods × 1 seed\) into .*; 5 already finished, reused/);
    // The time of the 7 cells left is predicted up front, from a timing probe.
    expect(r.stderr).toMatch(/^predicted running time: \d+(m\d\ds|s) on \d+ idle cores? \(7 cells, 1 at a time, about \d+ CPU-seconds per cell on average, \d+ CPU-seconds in all; measured here by a timing probe: \d+ ms per training step/m);
    // Only the 7 missing cells trained; the finished ones were not touched.
    expect(r.stderr.match(/^\[\d+\/12\] fashion-mnist mlp/gm)).toHaveLength(7);
    expect(done()).toHaveLength(12);
    for (const [id, mtime] of stamps) expect(statSync(cellResultFile(join(cellsDir, id))).mtimeMs, id).toBe(mtime);
    expect(r.stdout).toMatch(/12 cells, 5 reused from an earlier run, 7 trained now;/);
    const lines = r.stdout.split("\n");
    const header = lines.findIndex((l) => /train images +epochs +seeds/.test(l));
    expect(lines.slice(header + 2, header + 6).map((l) => l.trim().split(/ +/).slice(0, 3))).toEqual([["100", "1", "1"], ["100", "2", "1"], ["150", "1", "1"], ["150", "2", "1"]]);
    expect(r.stdout).toMatch(/^manifold − none, test error %: lower \(mixup better\) at [0-4] of 4 points/m);
    const map = JSON.parse(readFileSync(join(out, "map.json"), "utf8"));
    expect(map.points).toHaveLength(4);
    for (const p of map.points) expect(Object.keys(p.deltas).sort()).toEqual(["input", "manifold"]);
    expect(readFileSync(join(out, "map.md"), "utf8")).toMatch(/^\| train images \| epochs \| seeds \|/m);
    expect(readdirSync(join(out, "plots")).sort()).toEqual(["map-eceT.png", "map-eceT.svg", "map-error.png", "map-error.svg", "map-nll.png", "map-nll.svg", "map-nllT.png", "map-nllT.svg"]);
    // Every cell fitted its temperature on the training images after its own prefix, never on the test set.
    for (const id of done()) {
      const cell = JSON.parse(readFileSync(cellResultFile(join(cellsDir, id)), "utf8")) as CellResult;
      expect(cell.calibrated, id).toMatchObject({ temperature: expect.any(Number), nll: expect.any(Number), fitCount: 5000 });
      expect((cell.calibrated as { fitOn: string }).fitOn).toMatch(new RegExp(`training examples ${cell.config.trainLimit}\\.\\.`));
    }
    // The folder is a sweep folder: mmx sweep report reads it.
    const report = await run(["sweep", "report", out, "--no-plots"]);
    expect(report.code).toBe(0);
    expect(report.stdout).toMatch(/fashion-mnist mlp\[32,32\] n150 e2/);
    expect(report.stdout).toMatch(/NLL \(T\) mean ± std \[95% CI\]/);
    expect(report.stdout).toMatch(/"\(T\)": after temperature scaling, T fitted on held-out training examples \(never the test set\), in 12 of 12 cells\./);
    // A third run has nothing left to train.
    const again = await run(["reproduce", "--regime", "map", "--preset", "tiny", "--base", "small-data", "--sizes", "100,150", "--epochs-grid", "1,2", "--backend", "wasm", "--out", out, "--quiet"]);
    expect(again.stdout).toMatch(/12 cells, 12 reused from an earlier run, 0 trained now;/);
    expect(again.stderr).not.toMatch(/timing probe|predicted running time/);
  }, 240_000);
});

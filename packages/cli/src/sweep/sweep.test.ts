import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { run, tempDir } from "../test-helpers.js";
import { train } from "../train.js";
import { canonicalJson, expandCells } from "./cells.js";
import { checkSpec } from "./spec.js";
import { interval, tQuantile975 } from "./stats.js";
import { SweepStatus } from "./status.js";
import { freePort, TINY_GRID } from "./test-helpers.js";

const oneLine = (stderr: string) => stderr.trim().split("\n");

describe("mmx sweep: the spec", () => {
  it("rejects a malformed spec, an unknown method or field, and a bad flag with one line naming the culprit, exit 2", async () => {
    const dir = tempDir();
    const broken = join(dir, "broken.json");
    writeFileSync(broken, '{"methods": ["none",');
    let r = await run(["sweep", broken]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toEqual([expect.stringMatching(new RegExp(`^mmx sweep: ${broken} is not valid JSON \\(`))]);

    const unknown = join(dir, "grid.json");
    writeFileSync(unknown, JSON.stringify({ methods: ["none", "manifld"], seeds: [0] }));
    r = await run(["sweep", unknown]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toEqual([`mmx: ${unknown}: methods[1]: unknown method 'manifld' (did you mean 'manifold'?); valid methods: 'none', 'input', 'manifold', 'cutmix', 'patchup', 'nfm' or 'regmixup'`]);

    writeFileSync(unknown, JSON.stringify({ method: ["none"] }));
    r = await run(["sweep", unknown]);
    expect(oneLine(r.stderr)).toEqual([expect.stringMatching(new RegExp(`^mmx: ${unknown}: unknown field 'method' \\(did you mean 'methods'\\?\\); valid fields: datasets, models, methods,`))]);

    writeFileSync(unknown, JSON.stringify({ alphas: [1, -2] }));
    r = await run(["sweep", unknown]);
    expect(oneLine(r.stderr)).toEqual([`mmx: ${unknown}: alphas[1] must be a number > 0, got -2`]);

    writeFileSync(unknown, JSON.stringify(["none"]));
    expect(oneLine((await run(["sweep", unknown])).stderr)[0]).toMatch(/a sweep spec is a JSON object of axes .*got a list$/);

    r = await run(["sweep", "--methods", "none,mixcut"]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toEqual(["mmx sweep: --methods[1]: unknown method 'mixcut'; valid methods: 'none', 'input', 'manifold', 'cutmix', 'patchup', 'nfm' or 'regmixup'"]);

    r = await run(["sweep", join(dir, "missing.json")]);
    expect(oneLine(r.stderr)).toEqual([`mmx sweep: cannot read the spec ${join(dir, "missing.json")} (ENOENT)`]);

    // A combination mmx train rejects names the cell.
    r = await run(["sweep", "--methods", "manifold", "--eligible", "input;nowhere", "--backend", "wasm"]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toEqual([expect.stringMatching(/^mmx sweep: cell 'spirals spiral-net e100 manifold \{nowhere\} s0': --layers: the model has no boundary named 'nowhere'; its boundaries are 0 input, 1 hidden1/)]);
  });

  it("rejects a queue that does not answer, or is not Redis, with one line naming it, exit 2", async () => {
    const port = await freePort();
    const r = await run(["sweep", ...TINY_GRID, "--queue", `redis://127.0.0.1:${port}`, "--out", join(tempDir(), "q")]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toEqual([expect.stringMatching(new RegExp(`^mmx: --queue redis://127\\.0\\.0\\.1:${port} does not answer \\(.*ECONNREFUSED.*\\); start Redis there, or leave --queue out`))]);
    expect(oneLine((await run(["sweep", ...TINY_GRID, "--queue", "http://127.0.0.1:1"])).stderr)).toEqual(["mmx: --queue 'http://127.0.0.1:1': the queue is Redis (BullMQ); give redis://host:port, not http://"]);
    const w = await run(["worker", "--queue", `redis://127.0.0.1:${port}`]);
    expect(w.code).toBe(2);
    expect(oneLine(w.stderr)).toEqual([expect.stringMatching(/^mmx: --queue redis:\/\/127\.0\.0\.1:\d+ does not answer/)]);
    expect(oneLine((await run(["worker"])).stderr)).toEqual(["mmx worker needs --queue redis://host:port: the Redis that mmx sweep --queue enqueues into"]);
  });

  it("expands the grid into cells whose id is a hash of the full config", () => {
    const spec = checkSpec({ methods: ["none", "input", "manifold"], alphas: [1, 2], eligible: [["input", "hidden1"], [0, 1], ["bottleneck"]], seeds: [0, 1], epochs: [2] }, "t");
    const cells = expandCells(spec, "wasm", "t");
    // none: 1 α x 2 seeds; input: 2 α x 2 seeds; manifold: 2 α x 2 distinct sets ({input,hidden1} = {0,1}) x 2 seeds.
    expect(cells).toHaveLength(2 + 4 + 8);
    expect(new Set(cells.map((c) => c.id)).size).toBe(cells.length);
    expect(cells.filter((c) => c.config.method === "manifold").map((c) => c.config.layerNames.join(","))).toContain("bottleneck");
    // The same grid gives the same ids; a changed setting, backend or evaluation changes them.
    expect(expandCells(spec, "wasm", "t").map((c) => c.id)).toEqual(cells.map((c) => c.id));
    expect(expandCells(spec, "cpu", "t")[0]!.id).not.toBe(cells[0]!.id);
    expect(expandCells({ ...spec, lr: 0.07 }, "wasm", "t")[0]!.id).not.toBe(cells[0]!.id);
    expect(expandCells({ ...spec, fgsmEps: 0.1 }, "wasm", "t")[0]!.id).not.toBe(cells[0]!.id);
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe(canonicalJson({ a: [{ c: 3, d: 2 }], b: 1 }));
    expect(cells[0]!.label).toBe("spirals spiral-net n2000 e2 none s0");
    expect(cells.find((c) => c.config.method === "manifold")!.group).toBe("spirals spiral-net n2000 e2 manifold α=1 {input,hidden1}");
  });

  it("without an epochs axis, each dataset's cells train mmx train's default epochs for it", () => {
    const cells = expandCells(checkSpec({ datasets: ["spirals", "fashion-mnist"], methods: ["none"] }, "t"), "wasm", "t");
    expect(cells.map((c) => [c.config.dataset, c.config.epochs])).toEqual([
      ["spirals", 100],
      ["fashion-mnist", 10],
    ]);
    expect(cells[0]!.label).toBe("spirals spiral-net n2000 e100 none s0");
  });

  it("computes 95% t-intervals, and counts a cell finished twice once", () => {
    expect(tQuantile975(1)).toBe(12.706);
    expect(tQuantile975(30)).toBe(2.042);
    expect(tQuantile975(31)).toBeCloseTo(2.04, 2);
    expect(tQuantile975(1000)).toBeCloseTo(1.962, 3);
    const i = interval([1, 2, 3]);
    expect(i.mean).toBe(2);
    expect(i.std).toBe(1);
    expect(i.hi - i.mean).toBeCloseTo((4.303 * 1) / Math.sqrt(3), 10);
    expect(Number.isNaN(interval([5]).lo)).toBe(true);

    const spec = checkSpec({ methods: ["none"], seeds: [0, 1], epochs: [1] }, "t");
    const cells = expandCells(spec, "wasm", "t");
    const file = join(tempDir(), "status.json");
    const status = new SweepStatus(cells, file, undefined, 2);
    status.start(cells[0]!.id);
    expect(status.finish(cells[0]!.id, 3)).toBe(true);
    expect(status.finish(cells[0]!.id, 3)).toBe(false);
    status.fail(cells[0]!.id, "late failure of a retried copy");
    expect(status.counts()).toEqual({ total: 2, done: 1, reused: 0, running: 0, failed: 0, pending: 1 });
    expect(status.eta()).toBe(3);
    expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({ total: 2, done: 1, failed: 0, pending: 1, etaSeconds: 3 });
  });
});

describe("mmx sweep: embedded (this thread under the test runner)", () => {
  it("runs a tiny grid, reuses finished cells, resumes an interrupted one bit-exactly, and reports", async () => {
    const out = join(tempDir(), "sweep");
    const grid = ["--methods", "none,manifold", "--seeds", "0,1", ...TINY_GRID.slice(4)];
    const first = await run(["sweep", ...grid, "--out", out, "--jobs", "1"]);
    expect(first.stderr).not.toMatch(/^mmx( [a-z]+)?:/m);
    expect(first.code).toBe(0);
    expect(first.stderr.match(/^\[\d\/4\] spirals mlp\[32,32\] n256 e3 (none|manifold .*) s[01]: test error/gm)).toHaveLength(4);
    expect(first.stdout).toMatch(/4 of 4 cells done \(0 reused, 4 new/);
    const status = JSON.parse(readFileSync(join(out, "status.json"), "utf8"));
    expect(status).toMatchObject({ total: 4, done: 4, running: 0, failed: 0, pending: 0, etaSeconds: 0 });
    const manifest = JSON.parse(readFileSync(join(out, "sweep.json"), "utf8")) as { cells: { id: string; config: { epochs: number } }[] };
    const result = (id: string) => JSON.parse(readFileSync(join(out, "cells", id, "cell.json"), "utf8"));
    const reference = manifest.cells.map((c) => result(c.id).final);
    // Each cell is an ordinary run folder.
    const evaluated = await run(["eval", join(out, "cells", manifest.cells[3]!.id), "--json"]);
    expect(JSON.parse(evaluated.stdout).error).toBe(reference[3].testError);
    // The cell's NLL and ECE after temperature scaling are mmx eval's: the same held-out points, the same fit.
    const calibration = JSON.parse(evaluated.stdout).calibration;
    expect(result(manifest.cells[3]!.id).calibrated).toEqual({ temperature: calibration.temperature, nll: calibration.after.nll, ece: calibration.after.ece, fitOn: calibration.fitOn, fitCount: 5000 });
    expect(first.stderr).toMatch(/ECE \d+\.\d\d%  \(T = \d+\.\d\d: NLL \d+\.\d{3}  ECE \d+\.\d\d%\)  FGSM /);

    // Finished cells are reused.
    const again = await run(["sweep", ...grid, "--out", out, "--quiet"]);
    expect(again.stdout).toMatch(/4 of 4 cells done \(4 reused, 0 new/);

    // An interrupted cell (one epoch of three trained, no result yet) continues from its checkpoint.
    const cut = manifest.cells[3]!;
    const cutDir = join(out, "cells", cut.id);
    rmSync(join(cutDir, "cell.json"));
    const partial = await train(result0(manifest, cut.id), { out: cutDir, overwrite: true, stopAfterEpochs: 1 });
    expect(partial.metrics.map((m) => m.epoch)).toEqual([1]);
    const resumed = await run(["sweep", ...grid, "--out", out]);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/4 of 4 cells done \(3 reused, 1 new/);
    expect(existsSync(join(cutDir, "cell.json"))).toBe(true);
    const after = result(cut.id).final;
    expect({ ...after, seconds: 0, examplesPerSecond: 0 }).toEqual({ ...reference[3], seconds: 0, examplesPerSecond: 0 });

    const report = await run(["sweep", "report", out, "--no-plots"]);
    expect(report.code).toBe(0);
    expect(report.stdout).toMatch(/^4 of 4 cells finished, backend wasm;/);
    expect(report.stdout).toMatch(/^spirals mlp\[32,32\] n256 e3 +none +2 +\d+\.\d\d ± \d+\.\d\d \[-?\d+\.\d\d, \d+\.\d\d\]/m);
    expect(report.stdout).toMatch(/^spirals mlp\[32,32\] n256 e3, test error: 1\. .* 2\. .*\((its 95% interval (clears|overlaps) the runner-up's)\)$/m);
    const json = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
    expect(json.rows.map((r: { method: string; seeds: number[] }) => [r.method, r.seeds])).toEqual([["none", [0, 1]], ["manifold", [0, 1]]]);
    // One sweep process per folder: a live holder of its lock is named.
    const holder = { pid: process.pid, host: hostname(), startedAt: "2026-01-01T00:00:00.000Z", command: "mmx sweep" };
    writeFileSync(join(out, "sweep.lock"), JSON.stringify(holder));
    const locked = await run(["sweep", ...grid, "--out", out]);
    expect(locked.code).toBe(2);
    expect(oneLine(locked.stderr)).toEqual([`mmx: ${out} is in use by mmx sweep (pid ${process.pid} on ${hostname()}, started ${holder.startedAt}); wait for it to finish or choose another --out`]);
    rmSync(join(out, "sweep.lock"));

    const plotted = await run(["sweep", "report", out]);
    expect(plotted.stdout).toMatch(/^plots: .*alpha-curves\.png, .*eligible-sets\.png \(and \.svg\)$/m);
    expect(readdirSync(join(out, "plots")).sort()).toEqual(["alpha-curves.png", "alpha-curves.svg", "eligible-sets.png", "eligible-sets.svg"]);
    expect((await run(["sweep", "report", join(out, "nothing")])).stderr).toMatch(/^mmx sweep report: no sweep folder at /);
  });
});

/** A cell's config from a sweep manifest. */
function result0(manifest: { cells: { id: string; config: unknown }[] }, id: string) {
  return manifest.cells.find((c) => c.id === id)!.config as Parameters<typeof train>[0];
}

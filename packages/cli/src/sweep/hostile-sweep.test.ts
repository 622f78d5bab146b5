import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { run, tempDir } from "../test-helpers.js";
import { expectRefused } from "../testing-only/expect-refused.js";
import { MAX_CELLS } from "./cells.js";

describe("sweep specs: fields by any name, odd files, grids too large", () => {
  it("a field named like an Object property (constructor, __proto__, toString) is an unknown field, not a crash or a silent pass", async () => {
    const dir = tempDir();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("constructor", "__proto__", "toString", "hasOwnProperty", "valueOf", "isPrototypeOf"), fc.jsonValue({ maxDepth: 1 }), async (name, value) => {
        const spec = join(dir, "grid.json");
        writeFileSync(spec, `{${JSON.stringify(name)}: ${JSON.stringify(value) ?? "null"}, "methods": ["none"]}`);
        await expectRefused(["sweep", spec], new RegExp(`unknown field '${name}'`));
      }),
      { numRuns: 12 },
    );
  });

  it("a spec that is a folder or a FIFO is named (a FIFO would block the read forever)", async () => {
    const dir = tempDir();
    await expectRefused(["sweep", dir], /^mmx sweep: the spec \S+ is a folder; give a JSON file$/);
    const fifo = join(dir, "grid.json");
    execFileSync("mkfifo", [fifo]);
    await expectRefused(["sweep", fifo], /^mmx sweep: the spec \S+ is not a regular file; give a JSON file$/);
  });

  it("sweep report of a file names it as one", async () => {
    const file = join(tempDir(), "f");
    writeFileSync(file, "x");
    await expectRefused(["sweep", "report", file], /^mmx sweep report: \S+ is a file, not a sweep folder$/);
  });

  it(`a grid of more than ${MAX_CELLS} cells is refused before any cell is made, naming its axes`, async () => {
    const seeds = Array.from({ length: 200 }, (_, i) => i).join(",");
    const alphas = Array.from({ length: 60 }, (_, i) => (i + 1) / 10).join(",");
    await expectRefused(["sweep", "--methods", "input", "--seeds", seeds, "--alphas", alphas, "--out", join(tempDir(), "s")], /^mmx sweep: the grid has up to 12000 cells \(60 alphas × 200 seeds\), more than the 10000 one sweep takes; split it into several sweeps$/);
  });
});

describe("sweep report on a hand-edited sweep folder", () => {
  let base = "";
  beforeAll(async () => {
    base = join(tempDir(), "sweep");
    const r = await run(["sweep", "--methods", "none", "--seeds", "0", "--train-sizes", "64", "--test-size", "32", "--batch", "32", "--hidden", "4", "--epochs", "1", "--backend", "wasm", "--jobs", "1", "--out", base]);
    expect(r.code, r.stderr).toBe(0);
  }, 120_000);

  const copy = (edit: (dir: string, cell: string) => void): string => {
    const dir = join(tempDir(), "sweep");
    cpSync(base, dir, { recursive: true });
    const id = readdirSync(join(dir, "cells"))[0]!;
    edit(dir, join(dir, "cells", id, "cell.json"));
    return dir;
  };
  const editJson = (path: string, f: (v: Record<string, any>) => void) => {
    const v = JSON.parse(readFileSync(path, "utf8"));
    f(v);
    writeFileSync(path, JSON.stringify(v));
  };
  const cases: [string, (dir: string, cell: string) => void, RegExp][] = [
    ["sweep.json is null", (d) => writeFileSync(join(d, "sweep.json"), "null"), /sweep\.json is not an object; it is not a sweep manifest of mmx/],
    ["sweep.json's cells is not a list", (d) => editJson(join(d, "sweep.json"), (m) => (m.cells = 5)), /sweep\.json has 5 as 'cells', not a list/],
    ["a cell id that is a path", (d) => editJson(join(d, "sweep.json"), (m) => (m.cells[0].id = "../../etc")), /sweep\.json has "\.\.\/\.\.\/etc" as the id of cell 0/],
    ["sweep.json is a folder", (d) => { writeFileSync(join(d, "x"), ""); execFileSync("rm", [join(d, "sweep.json")]); mkdirSync(join(d, "sweep.json")); }, /sweep\.json is not a regular file$/],
    ["cell.json with a metric that is text", (_, c) => editJson(c, (r) => (r.final.testError = "low")), /cell\.json has "low" as 'final\.testError'; it must be a number; delete it and run the sweep again/],
    ["cell.json without fgsm", (_, c) => editJson(c, (r) => delete r.fgsm), /cell\.json has undefined as 'fgsm'/],
    ["cell.json whose config breaks the schema", (_, c) => editJson(c, (r) => (r.config.alpha = -1)), /cell\.json: the cell: its config field 'alpha' is -1/],
    ["cell.json that is not JSON", (_, c) => writeFileSync(c, "{"), /cell\.json is not valid JSON/],
    ["cell.json whose calibrated NLL is text", (_, c) => editJson(c, (r) => (r.calibrated.nll = "fine")), /cell\.json has "fine" as 'calibrated\.nll'; it must be a number/],
    ["cell.json whose calibration is a number", (_, c) => editJson(c, (r) => (r.calibrated = 3)), /cell\.json has 3 as 'calibrated'; it must be an object/],
  ];
  it("a cell.json without calibration (an older mmx's) is read: its group shows '--' after temperature scaling, and the heading says why", async () => {
    const calibrated = await run(["sweep", "report", base, "--no-plots"]);
    expect(calibrated.code, calibrated.stderr).toBe(0);
    expect(calibrated.stdout).toMatch(/in 1 of 1 cells\./);
    expect(calibrated.stdout).not.toMatch(/ -- ± /);
    const r = await run(["sweep", "report", copy((_, c) => editJson(c, (v) => delete v.calibrated)), "--no-plots"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/in 0 of 1 cells; "--" where a group has cells without it: 1 finished by an mmx that did not record calibration/);
    expect(r.stdout.match(/ -- ± /g)).toHaveLength(2);
  });

  for (const [what, edit, message] of cases) {
    it(what, async () => {
      await expectRefused(["sweep", "report", copy(edit)], message);
    });
  }
});

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pickFastest, probeFastest } from "../backends.js";
import { UsageError } from "../errors.js";
import { run, tempDir } from "../test-helpers.js";
import { findPreset, PRESETS } from "./presets.js";

/** The width and height in a PNG's IHDR chunk, after checking the signature. */
function pngSize(bytes: Buffer): [number, number] {
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(bytes.subarray(12, 16).toString("ascii")).toBe("IHDR");
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

describe("mmx reproduce --preset tiny", () => {
  it("trains every (dataset, method, seed), prints the table with every row, and writes the plots", async () => {
    const out = join(tempDir(), "demo");
    const r = await run(["reproduce", "--preset", "tiny", "--jobs", "1", "--backend", "wasm", "--out", out]);
    expect(r.stderr).not.toMatch(/^mmx( [a-z]+)?:/m);
    expect(r.code).toBe(0);
    // Progress on stderr: one result line per run.
    expect(r.stderr.match(/^\[\d+\/18\] (spirals|fashion-mnist) (none|input|manifold) s[012]: test error/gm)).toHaveLength(18);

    expect(r.stdout).toMatch(/; backend wasm \(as given with --backend\), 1 run at a time; /);
    const lines = r.stdout.split("\n");
    const header = lines.findIndex((l) => /^dataset +method +test error % +test NLL +ECE % +NLL \(T\) +ECE % \(T\) +FGSM acc %$/.test(l));
    expect(header).toBeGreaterThan(0);
    const rows = lines.slice(header + 2, header + 8);
    const cell = String.raw`\d+\.\d+ ± \d+\.\d+`;
    const expected = [
      ["spirals", "no mixup", "0.05"],
      ["spirals", "input mixup \\(α=1\\)", "0.05"],
      ["spirals", "manifold mixup \\(α=2\\)", "0.05"],
      ["fashion-mnist", "no mixup", "0.03"],
      ["fashion-mnist", "input mixup \\(α=1\\)", "0.03"],
      ["fashion-mnist", "manifold mixup \\(α=2\\)", "0.03"],
    ];
    expected.forEach(([dataset, method, eps], i) => expect(rows[i]).toMatch(new RegExp(`^${dataset} +${method} +${cell} +${cell} +${cell} +${cell} +${cell} +${cell} \\(ε=${eps}\\)$`)));
    // The findings are read off the numbers, per dataset, with the comparison to the paper.
    expect(r.stdout).toMatch(/^spirals: test error: (none|input|manifold) best.*ranking (none|input|manifold) > (none|input|manifold) > (none|input|manifold)/m);
    expect(r.stdout).toMatch(/^fashion-mnist: test error: /m);
    expect(r.stdout).toMatch(/here manifold mixup ranks first in [0-6] of 6 \(dataset, metric\) comparisons, and the whole ranking matches the paper's in [0-6] of 6\./);
    expect(r.stdout).toMatch(/^spirals flattening at 'bottleneck'/m);

    for (const name of ["spirals-boundaries", "spirals-bottleneck", "spirals-spectra", "fashion-mnist-spectra", "learning-curves"]) {
      const svg = readFileSync(join(out, "plots", `${name}.svg`), "utf8");
      expect(svg.startsWith("<svg"), name).toBe(true);
      expect(svg.trimEnd().endsWith("</svg>"), name).toBe(true);
      expect(svg).toMatch(/<path|<rect/);
      const [w, h] = pngSize(readFileSync(join(out, "plots", `${name}.png`)));
      expect(w).toBeGreaterThan(300);
      expect(h).toBeGreaterThan(150);
    }
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    expect(summary.outcomes).toHaveLength(18);
    expect(summary.rows).toHaveLength(6);
    expect(readFileSync(join(out, "summary.md"), "utf8")).toMatch(/^\| dataset \| method \| test error % \| test NLL \| ECE % \| NLL \(T\) \| ECE % \(T\) \| FGSM acc % \|$/m);

    // Each run folder is an ordinary run: mmx eval reproduces its last epoch's test error.
    const evaluated = JSON.parse((await run(["eval", join(out, "spirals-manifold-s1"), "--json"])).stdout);
    const run1 = summary.outcomes.find((o: { dataset: string; method: string; seed: number }) => o.dataset === "spirals" && o.method === "manifold" && o.seed === 1);
    expect(evaluated.error).toBe(run1.final.testError);
    // Both datasets' costs were probed before training: one prediction for the 18 runs, measured after.
    expect(r.stderr).toMatch(/^predicted running time: .*\(18 runs, 1 at a time, /m);
    expect(r.stdout).toMatch(/^running time: predicted \S+ on idle cores, measured /m);
  }, 240_000);
});

describe("the small-data regime", () => {
  it("is 3,000 Fashion-MNIST training images, the whole test set, 60 epochs, 3 seeds, the three methods", () => {
    const p = findPreset("small-data", "default");
    expect(p).toMatchObject({ name: "default", regime: "small-data", seeds: [0, 1, 2] });
    expect(p.methods).toEqual(PRESETS.default.methods);
    expect(p.plans).toHaveLength(1);
    // The default's model, learning rate, schedule and attack: only the data and the length differ.
    const standard = PRESETS.default.plans.find((d) => d.dataset === "fashion-mnist")!;
    expect(p.plans[0]).toEqual({ ...standard, trainSize: 3000, testSize: 10000, epochs: 60 });
    expect(findPreset("small-data", "tiny").regime).toBe("small-data");
    expect(findPreset("standard", "full")).toBe(PRESETS.full);
  });

  it("names what is valid when a regime or preset does not exist", async () => {
    expect(() => findPreset("small-data", "full")).toThrow(new UsageError("mmx reproduce: the small-data regime has no 'full' preset; its presets: 'tiny' or 'default'"));
    expect(() => findPreset("small", "default")).toThrow(UsageError);
    const typo = await run(["reproduce", "--regime", "small-dat", "--preset", "tiny"]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/--regime: unknown value 'small-dat' \(did you mean 'small-data'\?\); valid values: 'standard', 'small-data', 'small-data-cnn' or 'map'/);
    expect((await run(["reproduce", "--regime", "small-data", "--preset", "tiny", "--epochs", "0"])).stderr).toMatch(/--epochs must be a whole number of at least 1, got 0/);
    const full = await run(["reproduce", "--regime", "small-data", "--full"]);
    expect(full.code).toBe(2);
    expect(full.stderr).toMatch(/the small-data regime has no 'full' preset/);
  });

  it("runs its tiny variant (with --epochs) on the default backend: nine runs, three rows, the Fashion-MNIST plots", async () => {
    const out = join(tempDir(), "small");
    const r = await run(["reproduce", "--regime", "small-data", "--preset", "tiny", "--epochs", "2", "--jobs", "1", "--out", out]);
    expect(r.stderr).not.toMatch(/^mmx( [a-z]+)?:/m);
    expect(r.code).toBe(0);
    expect(r.stderr.match(/^\[\d\/9\] fashion-mnist (none|input|manifold) s[012]: test error/gm)).toHaveLength(9);
    const chosen = pickFastest(await probeFastest()).name;
    expect(r.stderr).toMatch(new RegExp(`^backend ${chosen}: the fastest backend`, "m"));
    expect(r.stdout).toMatch(/^mmx reproduce --regime small-data --preset tiny --epochs 2: no mixup \/ input mixup \/ manifold mixup on fashion-mnist \(mlp 32-32, 300 train \/ 100 test images, 2 epochs,/m);
    // The results say which backend produced them, and why it was used.
    expect(r.stdout).toMatch(new RegExp(`; backend ${chosen} \\(the fastest backend [^)]*.*--backend chooses another.*\\), 1 run at a time; `));
    const lines = r.stdout.split("\n");
    const header = lines.findIndex((l) => /^dataset +method +test error %/.test(l));
    expect(lines.slice(header + 2, header + 5).map((l) => l.split(/ {2,}/)[1])).toEqual(["no mixup", "input mixup (α=1)", "manifold mixup (α=2)"]);
    expect(lines[header + 5]).toBe("");
    expect(r.stdout).toMatch(/here manifold mixup ranks first in [0-3] of 3 \(dataset, metric\) comparisons/);
    expect(readdirSync(join(out, "plots")).sort()).toEqual(["fashion-mnist-spectra.png", "fashion-mnist-spectra.svg", "learning-curves.png", "learning-curves.svg"]);
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    expect(summary).toMatchObject({ preset: "tiny", regime: "small-data", epochs: 2, backend: chosen });
    expect(summary.outcomes.map((o: { final: { epoch: number } }) => o.final.epoch)).toEqual(new Array(9).fill(2));
  });
});

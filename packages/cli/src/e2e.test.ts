import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pickFastest, probeFastest } from "./backends.js";
import { run, tempDir } from "./test-helpers.js";

const TINY = ["--dataset", "spirals", "--n-train", "256", "--n-test", "200", "--batch", "32", "--hidden", "16", "--lr", "0.1"];

describe("mmx train -> eval -> attack -> spectra on the spirals", () => {
  it("trains, writes a run folder, and each command reads it back", async () => {
    const out = join(tempDir(), "run");
    const trained = await run(["train", ...TINY, "--method", "manifold", "--epochs", "3", "--seed", "1", "--out", out]);
    expect(trained.stderr).not.toMatch(/^mmx( [a-z]+)?:/m);
    expect(trained.code).toBe(0);
    // No --backend: the fastest present trains, and both the progress and the result say which.
    const chosen = pickFastest(await probeFastest()).name;
    expect(trained.stderr.split("\n")[0]).toMatch(new RegExp(`^backend ${chosen}: the fastest backend .*; --backend chooses another$`));
    expect(trained.stdout).toMatch(new RegExp(`${out}: epoch 3/3 {2}train loss \\d\\.\\d{4} {2}test error \\d+\\.\\d\\d% {2}NLL \\d\\.\\d{4} {2}ECE \\d+\\.\\d\\d% {2}\\(backend ${chosen}\\)`));
    // Not a TTY: plain progress lines, the last one at the end of the run.
    expect(trained.stderr.trim().split("\n").pop()).toMatch(/^epoch 3\/3 step 8\/8 {2}loss \d\.\d{4} {2}[\d,]+ ex\/s {2}ETA 0s$/);

    const metrics = JSON.parse(readFileSync(join(out, "metrics.json"), "utf8"));
    expect(metrics.config).toMatchObject({ dataset: "spirals", method: "manifold", alpha: 2, layers: [0, 1, 2, 3], layerNames: ["input", "hidden1", "hidden2", "bottleneck"], seed: 1, backend: chosen });
    expect(metrics.epochs.map((e: { epoch: number; step: number }) => [e.epoch, e.step])).toEqual([[1, 8], [2, 16], [3, 24]]);
    for (const e of metrics.epochs) {
      for (const k of ["trainLoss", "testError", "testNll", "testEce", "seconds", "examplesPerSecond"]) expect(Number.isFinite(e[k]), k).toBe(true);
      expect(e.testError).toBeGreaterThanOrEqual(0);
      expect(e.testError).toBeLessThanOrEqual(1);
    }
    const last = metrics.epochs[2];

    // eval recomputes the last epoch's test metrics from the checkpoint: the same numbers.
    const evaluated = await run(["eval", out, "--json"]);
    expect(evaluated.code).toBe(0);
    const ev = JSON.parse(evaluated.stdout);
    expect(ev).toMatchObject({ epoch: 3, split: "test", count: 200 });
    expect(ev.error).toBe(last.testError);
    expect(ev.nll).toBeCloseTo(last.testNll, 10);
    expect(ev.ece).toBeCloseTo(last.testEce, 10);
    // Temperature scaling, fitted on fresh spiral points (never the test points): before is the plain metrics,
    // and the JSON in the run folder is what was printed.
    expect(ev.calibration).toMatchObject({ fitOn: expect.stringMatching(/^5000 fresh spiral points \(data seed 0, /), fitCount: 5000, count: 200 });
    expect(ev.calibration.temperature).toBeGreaterThan(0);
    expect(ev.calibration.before.nll).toBeCloseTo(ev.nll, 5);
    expect(ev.calibration.before.ece).toBeCloseTo(ev.ece, 5);
    for (const k of ["nll", "ece"]) expect(Number.isFinite(ev.calibration.after[k]), k).toBe(true);
    expect(JSON.parse(readFileSync(join(out, "eval-test.json"), "utf8"))).toEqual(ev);
    const evalText = await run(["eval", out, "--calibration-examples", "300"]);
    expect(evalText.stdout).toMatch(/\ntemperature T = \d+\.\d{3} fitted on 300 fresh spiral points .*: NLL \d\.\d{4} -> \d\.\d{4} {2}ECE \d+\.\d\d% -> \d+\.\d\d%\n$/);
    expect((await run(["eval", out, "--calibration-examples", "0"])).stderr).toMatch(/^mmx eval: --calibration-examples must be >= 1, got '0'\n/);

    const attacked = await run(["attack", "--run", out, "--fgsm", "--eps", "0.1", "--json"]);
    expect(attacked.code).toBe(0);
    const at = JSON.parse(attacked.stdout);
    expect(at).toMatchObject({ attack: "fgsm", eps: 0.1, clip: null, count: 200 });
    expect(at.cleanAccuracy).toBeCloseTo(1 - last.testError, 10);
    expect(at.adversarialAccuracy).toBeLessThanOrEqual(at.cleanAccuracy);
    const text = await run(["attack", out, "--eps", "0"]);
    expect(text.stdout).toMatch(/clean accuracy (\d+\.\d\d)% {2}FGSM accuracy \1% at eps 0 \(inputs unclipped\)/);

    const spectra = await run(["spectra", out, "--layer", "bottleneck", "--json"]);
    expect(spectra.code).toBe(0);
    const sp = JSON.parse(spectra.stdout);
    expect(sp).toMatchObject({ layer: 3, layerName: "bottleneck" });
    expect(sp.classes.map((c: { count: number }) => c.count)).toEqual([100, 100]);
    for (const c of sp.classes) {
      expect(c.singularValues).toHaveLength(2);
      expect(c.singularValues[0]).toBeGreaterThanOrEqual(c.singularValues[1]);
    }
    const byIndex = await run(["spectra", out, "--layer", "2", "--top", "3"]);
    expect(byIndex.stdout).toMatch(/boundary 2 \(hidden2, \[-1,16\]\)/);
    expect(byIndex.stdout).toMatch(/^arm 0 +100 +\d+\.\d{3} +\d+\.\d{3} {2}\d+\.\d{3} \d+\.\d{3} \d+\.\d{3}$/m);
    expect((await run(["spectra", out, "--layer", "9"])).stderr).toMatch(/no boundary 9; its boundaries are 0 input, 1 hidden1/);

    // A second train into the same folder refuses rather than overwrite.
    const again = await run(["train", ...TINY, "--epochs", "1", "--out", out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds a run .*--resume/);
  });
});

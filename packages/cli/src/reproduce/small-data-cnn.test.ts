import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { run, tempDir } from "../test-helpers.js";
import { CNN_EPOCHS, CNN_EVAL_EVERY, CNN_JOBS, findPreset } from "./presets.js";
import { evaluationsOf, makespan } from "./time-model.js";

describe("the small-data-cnn regime", () => {
  it("is nn.smallCnn on the small-data regime's 3,000 images, soft-target cross-entropy, 45 epochs tested every 15, 3 seeds, the three methods, 3 runs at a time", () => {
    const p = findPreset("small-data-cnn", "default");
    const mlp = findPreset("small-data", "default");
    expect(p).toMatchObject({ name: "default", regime: "small-data-cnn", seeds: [0, 1, 2] });
    expect(p.methods).toEqual(mlp.methods);
    const { hidden: _widths, ...mlpPlan } = mlp.plans[0]!;
    // Only the model, its loss, learning rate, measured layer and evaluation cadence differ from the MLP's plan.
    expect(p.plans).toEqual([{ ...mlpPlan, model: "small-cnn", loss: "ce", lr: 0.1, epochs: CNN_EPOCHS, spectraLayer: "hidden", evalEvery: CNN_EVAL_EVERY }]);
    expect(p.plans[0]).toMatchObject({ trainSize: 3000, testSize: 10000, epochs: 45, batch: 100, schedule: "cosine", evalEvery: 15 });
    // Three test points, the last at the last epoch.
    expect(evaluationsOf(CNN_EPOCHS, CNN_EVAL_EVERY)).toBe(3);
    // Nine equal runs on two cores: three at a time leave no core idle at the end, two at a time do.
    expect(p.jobs).toBe(CNN_JOBS);
    expect(makespan(Array(9).fill(1), CNN_JOBS, 2)).toBeCloseTo(4.5, 9);
    expect(makespan(Array(9).fill(1), 2, 2)).toBeCloseTo(5, 9);
  });

  it("runs its tiny variant: nine CNN runs with soft-target cross-entropy, test points every evalEvery epochs, and the seed-interval line", async () => {
    const out = join(tempDir(), "cnn");
    const r = await run(["reproduce", "--regime", "small-data-cnn", "--preset", "tiny", "--jobs", "1", "--out", out]);
    expect(r.stderr).not.toMatch(/^mmx( [a-z]+)?:/m);
    expect(r.code).toBe(0);
    // Seed by seed: every method of seed 0 first.
    expect(r.stderr.match(/^\[\d\/9\] fashion-mnist (none|input|manifold) s[012]: test error/gm)!.slice(0, 3).map((l) => l.split(" ").slice(2, 4).join(" "))).toEqual(["none s0:", "input s0:", "manifold s0:"]);
    expect(r.stdout).toMatch(/^mmx reproduce --regime small-data-cnn --preset tiny: no mixup \/ input mixup \/ manifold mixup on fashion-mnist \(small-cnn, 100 train \/ 100 test images, 2 epochs, batch 50, SGD lr 0\.1 cosine/m);
    expect(r.stdout).toMatch(/soft-target cross-entropy training loss/);
    // The time is predicted from a timing probe before the runs, and measured after.
    expect(r.stderr).toMatch(/^predicted running time: \d+(m\d\ds|s) on \d+ idle cores? \(9 runs, 1 at a time, about \d+ CPU-seconds per run on average, \d+ CPU-seconds in all; measured here by a timing probe: \d+ ms per training step/m);
    expect(r.stdout).toMatch(/^running time: predicted \d+(m\d\ds|s) on idle cores, measured \d+(m\d\ds|s) \(\d+ CPU-seconds of this process; 1-minute load average \d+\.\d at the start, \d+\.\d at the end\)$/m);
    expect(readFileSync(join(out, "summary.md"), "utf8")).toMatch(/^running time: predicted /m);
    expect(r.stdout).toMatch(/fashion-mnist's test set evaluated every 2 epochs and after the last;/);
    expect(r.stdout).toMatch(/^fashion-mnist seed intervals \(mean ± std over the seeds\): test error: (none|input|manifold) ahead of (none|input|manifold) by \d+\.\d\d, intervals (overlap|apart);/m);
    expect(r.stdout).toMatch(/^fashion-mnist flattening at 'hidden'/m);
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    expect(summary).toMatchObject({ preset: "tiny", regime: "small-data-cnn" });
    for (const o of summary.outcomes) {
      expect(o.curve.map((e: { testError: number | null }) => e.testError === null)).toEqual([true, false]);
      const config = JSON.parse(readFileSync(join(o.dir, "config.json"), "utf8"));
      expect(config).toMatchObject({ model: "small-cnn", loss: "ce", trainLimit: 100 });
    }
  }, 240_000);
});

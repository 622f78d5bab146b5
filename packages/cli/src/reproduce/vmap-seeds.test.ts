import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { run, tempDir } from "../test-helpers.js";

/**
 * `mmx reproduce --vmap-seeds` trains each method's seeds as one program and reports in the same format as
 * separate runs, with the same numbers wherever the seeds' draws are the same: every seed of no mixup and
 * input mixup, and manifold mixup's first seed (its other seeds mix at the first seed's layer draws).
 */

interface Outcome {
  dataset: string;
  method: string;
  seed: number;
  final: { testError: number; testNll: number; testEce: number; trainLoss: number; epoch: number };
  curve: { trainLoss: number }[];
  fgsm: { adversarial: number };
}

describe("mmx reproduce --vmap-seeds", () => {
  it("runs the tiny preset and matches the separate runs within tolerance", async () => {
    const dir = tempDir();
    const common = ["reproduce", "--regime", "small-data", "--preset", "tiny", "--epochs", "2", "--backend", "cpu", "--jobs", "1"];
    const together = await run([...common, "--vmap-seeds", "--out", join(dir, "vmapped")]);
    expect(together.stderr).not.toMatch(/^mmx( [a-z]+)?:/m);
    expect(together.code).toBe(0);
    expect(together.stderr.match(/^\[\d-\d\/9\] fashion-mnist (none|input|manifold) s0,1,2: trained together/gm)).toHaveLength(3);
    expect(together.stderr.match(/^\[\d\/9\] fashion-mnist (none|input|manifold) s[012]: test error/gm)).toHaveLength(9);
    const apart = await run([...common, "--out", join(dir, "separate")]);
    expect(apart.code).toBe(0);

    const read = (name: string) => JSON.parse(readFileSync(join(dir, name, "summary.json"), "utf8")) as { outcomes: Outcome[]; rows: unknown[] };
    const [v, s] = [read("vmapped"), read("separate")];
    expect(v.rows).toHaveLength(s.rows.length);
    expect(v.outcomes.map((o) => [o.dataset, o.method, o.seed, o.final.epoch])).toEqual(s.outcomes.map((o) => [o.dataset, o.method, o.seed, o.final.epoch]));
    let compared = 0;
    v.outcomes.forEach((o, i) => {
      const ref = s.outcomes[i]!;
      for (const k of ["testError", "testNll", "testEce", "trainLoss"] as const) expect(Number.isFinite(o.final[k]), `${o.method} s${o.seed} ${k}`).toBe(true);
      if (o.method === "manifold" && o.seed !== 0) return;
      compared++;
      o.curve.forEach((e, j) => expect(Math.abs(e.trainLoss - ref.curve[j]!.trainLoss), `${o.method} s${o.seed} epoch ${j + 1} train loss`).toBeLessThan(1e-3));
      expect(Math.abs(o.final.testNll - ref.final.testNll), `${o.method} s${o.seed} test NLL`).toBeLessThan(2e-3);
      // 100 test images: one flipped prediction near the boundary is 0.01.
      expect(Math.abs(o.final.testError - ref.final.testError), `${o.method} s${o.seed} test error`).toBeLessThanOrEqual(0.0101);
    });
    expect(compared).toBe(7);
    // The run folders hold the same configs.
    for (const o of v.outcomes) {
      const name = `${o.dataset}-${o.method}-s${o.seed}`;
      expect(readFileSync(join(dir, "vmapped", name, "config.json"), "utf8")).toBe(readFileSync(join(dir, "separate", name, "config.json"), "utf8"));
    }
  }, 600_000);

  it("refuses, before anything trains, a method whose draws take a layer's shape: one line naming it, exit 2", async () => {
    for (const [method, what] of [["nfm", "Noisy Feature Mixup adds noise to the mixed features"], ["cutmix", "CutMix pastes a box per example"], ["patchup", "PatchUp swaps blocks of a feature map"]] as const) {
      const out = join(tempDir(), "refused");
      const r = await run(["reproduce", "--regime", "small-data-cnn", "--preset", "tiny", "--methods", `none,${method}`, "--vmap-seeds", "--backend", "cpu", "--quiet", "--out", out]);
      expect(r.code, method).toBe(2);
      expect(r.stderr.trim(), method).toBe(`mmx reproduce: --vmap-seeds cannot train --methods ${method}: ${what} in the shape of each seed's own layer, which seeds trained as one program cannot share; drop --vmap-seeds to train its seeds one run at a time`);
    }
  });
});

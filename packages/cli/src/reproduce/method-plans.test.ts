import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.js";
import { METHOD_REGISTRY } from "../methods.js";
import { run, tempDir } from "../test-helpers.js";
import { validateConfig } from "../config-schema.js";
import { eligibleSetPlans, methodPlans, PAPER_METHODS, planKey, planTitle } from "./method-plans.js";
import { checkPlans, runConfig } from "./pipeline.js";
import { findPreset } from "./presets.js";

describe("--methods", () => {
  it("reads names from the method registry, each at its default α", () => {
    expect(methodPlans(["manifold", "none"])).toEqual([{ method: "manifold", alpha: 2 }, { method: "none", alpha: 0 }]);
    expect(PAPER_METHODS.map((m) => [m.method, m.alpha])).toEqual([["none", 0], ["input", 1], ["manifold", 2]]);
    for (const m of PAPER_METHODS) expect(m.alpha).toBe(METHOD_REGISTRY[m.method].alpha);
  });

  it("accepts every method of the registry: the small CNN's regime plans each, the MLP's all but the image methods", () => {
    const all = Object.keys(METHOD_REGISTRY);
    expect(all).toEqual(["none", "input", "manifold", "cutmix", "patchup", "nfm", "regmixup"]);
    const cnn = { ...findPreset("small-data-cnn", "default"), methods: methodPlans(all) };
    expect(() => checkPlans(cnn)).not.toThrow();
    const configs = cnn.methods.map((m) => runConfig(cnn.plans[0]!, m, 0, "cpu"));
    expect(configs.map((c) => [c.method, c.alpha, c.layers])).toEqual([
      ["none", 0, []],
      ["input", 1, [0]],
      ["manifold", 2, [0, 1, 2]],
      ["cutmix", 1, [0]],
      ["patchup", 2, [0, 1, 2]],
      ["nfm", 1, [0, 1, 2]],
      ["regmixup", 10, [0]],
    ]);
    for (const c of configs) expect(validateConfig(c, "train")).toBe(c);
    const mlp = findPreset("small-data", "default");
    for (const method of all) {
      const check = () => checkPlans({ ...mlp, methods: methodPlans([method]) });
      if (method === "cutmix" || method === "patchup") expect(check, method).toThrow(new RegExp(`^mmx reproduce: --methods ${method} on fashion-mnist \\(mlp\\): `));
      else expect(check, method).not.toThrow();
    }
  });

  it("names an unknown or repeated method", () => {
    expect(() => methodPlans(["none", "manifld"])).toThrow(new UsageError("mmx reproduce: --methods: unknown method 'manifld' (did you mean 'manifold'?); valid methods: 'none', 'input', 'manifold', 'cutmix', 'patchup', 'nfm' or 'regmixup'"));
    expect(methodPlans(["cutmix", "regmixup"])).toEqual([{ method: "cutmix", alpha: 1 }, { method: "regmixup", alpha: 10 }]);
    expect(() => methodPlans(["input", "input"])).toThrow(new UsageError("mmx reproduce: --methods lists 'input' twice"));
  });
});

describe("--eligible-sets (the paper's Table 5)", () => {
  it("reads sets of boundaries separated by ';', {} being no mixup", () => {
    const plans = eligibleSetPlans("{}; 0 ;{0,1};0,1,2;1,2");
    expect(plans).toEqual([
      { method: "none", alpha: 0 },
      { method: "manifold", alpha: 2, layers: ["0"] },
      { method: "manifold", alpha: 2, layers: ["0", "1"] },
      { method: "manifold", alpha: 2, layers: ["0", "1", "2"] },
      { method: "manifold", alpha: 2, layers: ["1", "2"] },
    ]);
    expect(plans.map(planKey)).toEqual(["none", "manifold-0", "manifold-0-1", "manifold-0-1-2", "manifold-1-2"]);
    expect(plans.map(planTitle)).toEqual(["no mixup", "manifold mixup {0}", "manifold mixup {0,1}", "manifold mixup {0,1,2}", "manifold mixup {1,2}"]);
  });

  it("names what is wrong with a set", () => {
    expect(() => eligibleSetPlans("0;;1")).toThrow(/^mmx reproduce: --eligible-sets: set 2 of '0;;1' is empty; write the empty set as \{\} \(no mixup\)$/);
    expect(() => eligibleSetPlans("0,1;{0,1}")).toThrow(/^mmx reproduce: --eligible-sets lists the set \{0,1\} twice$/);
    expect(() => eligibleSetPlans("0,,1")).toThrow(/^mmx reproduce: --eligible-sets: set '0,,1' has an empty item/);
    expect(() => eligibleSetPlans("1,1")).toThrow(/^mmx reproduce: --eligible-sets: set \{1,1\} lists a boundary twice$/);
  });

  it("refuses a boundary the model lacks before training, and --methods with --eligible-sets, with exit status 2", async () => {
    const missing = await run(["reproduce", "--regime", "small-data", "--preset", "tiny", "--eligible-sets", "0;1,7", "--out", join(tempDir(), "x")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^mmx reproduce: --eligible-sets \{1,7\} on fashion-mnist \(mlp\): the model has no boundary 7; its boundaries are 0 input, 1 hidden1, 2 hidden2, 3 out\n$/);
    const both = await run(["reproduce", "--preset", "tiny", "--methods", "none", "--eligible-sets", "0"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/give --methods or --eligible-sets, not both/);
    const unknown = await run(["reproduce", "--preset", "tiny", "--methods", "none,mixcut"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^mmx reproduce: --methods: unknown method 'mixcut'; valid methods: 'none', 'input', 'manifold', 'cutmix', 'patchup', 'nfm' or 'regmixup'\n$/);
    // The demo's MLP takes rows, not images: CutMix cannot train it, and says so before anything trains.
    const unfit = await run(["reproduce", "--regime", "small-data", "--preset", "tiny", "--methods", "none,cutmix", "--out", join(tempDir(), "y")]);
    expect(unfit.code).toBe(2);
    expect(unfit.stderr).toMatch(/^mmx reproduce: --methods cutmix on fashion-mnist \(mlp\): CutMix pastes boxes into images \[B,H,W,C\]; this model's input is \[-1,784\]\n$/);
  });

  it("runs a tiny comparison of eligible sets: one row per set in the table and the JSON, and the paper's Table 5 beside it", async () => {
    const out = join(tempDir(), "table5");
    const r = await run(["reproduce", "--regime", "small-data", "--preset", "tiny", "--epochs", "1", "--eligible-sets", "{};0;0,1;1,2", "--jobs", "1", "--quiet", "--out", out]);
    expect(r.stderr).not.toMatch(/^mmx( [a-z]+)?:/m);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^mmx reproduce --regime small-data --preset tiny --epochs 1 --eligible-sets "\{\};0;0,1;1,2": no mixup \/ manifold mixup \{0\} \/ manifold mixup \{0,1\} \/ manifold mixup \{1,2\} on fashion-mnist/m);
    const lines = r.stdout.split("\n");
    const header = lines.findIndex((l) => /^dataset +method +test error %/.test(l));
    expect(lines.slice(header + 2, header + 6).map((l) => l.split(/ {2,}/)[1])).toEqual(["no mixup", "manifold mixup {0} (α=2)", "manifold mixup {0,1} (α=2)", "manifold mixup {1,2} (α=2)"]);
    expect(r.stdout).toMatch(/^fashion-mnist by eligible set, test error best first: (\S+ \d+\.\d\d%(, )?){4}; sets with the input average \d+\.\d\d% test error, sets without it \d+\.\d\d% \((worse, as in the paper|not worse, unlike the paper)\)\.$/m);
    expect(r.stdout).toMatch(/^The paper's Table 5 \(CIFAR-10, PreActResNet18, test accuracy by eligible set\): \{0,1,2\} 97\.23% best/m);
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    expect(summary.rows.map((row: { variant: string }) => row.variant)).toEqual(["none", "manifold-0", "manifold-0-1", "manifold-1-2"]);
    expect(summary.outcomes.filter((o: { variant: string }) => o.variant === "manifold-1-2").map((o: { layers: number[]; dir: string }) => [o.layers, o.dir])).toEqual([0, 1, 2].map((s) => [[1, 2], join(out, `fashion-mnist-manifold-1-2-s${s}`)]));
    // Each run folder is an ordinary run whose config records its eligible set.
    expect(JSON.parse(readFileSync(join(out, "fashion-mnist-manifold-0-1-s0", "metrics.json"), "utf8")).config).toMatchObject({ method: "manifold", layers: [0, 1], layerNames: ["input", "hidden1"] });
  }, 120_000);

  it("--methods picks the compared methods: none, manifold and Noisy Feature Mixup", async () => {
    const out = join(tempDir(), "two");
    const r = await run(["reproduce", "--regime", "small-data", "--preset", "tiny", "--epochs", "1", "--methods", "none,manifold,nfm", "--jobs", "1", "--quiet", "--out", out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^mmx reproduce --regime small-data --preset tiny --epochs 1 --methods none,manifold,nfm: no mixup \/ manifold mixup \/ Noisy Feature Mixup on fashion-mnist/m);
    expect(JSON.parse(readFileSync(join(out, "summary.json"), "utf8")).rows.map((row: { method: string }) => row.method)).toEqual(["none", "manifold", "nfm"]);
  }, 120_000);
});

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Array } from "@mmx/core";
import { key } from "@mmx/random";
import { parseArgs } from "./args.js";
import { TRAIN_OPTIONS, trainConfigFromArgs, type TrainConfig } from "./config.js";
import { validateConfig } from "./config-schema.js";
import { run, tempDir } from "./test-helpers.js";
import { makePolicy } from "./train.js";
import { METHOD_REGISTRY } from "./methods.js";

const configOf = (argv: string[]) => trainConfigFromArgs(parseArgs(argv, TRAIN_OPTIONS, "train"));

describe("mmx train's mixup flags", () => {
  it("--lambda-mode elem and --lambda-max reach the policy: one λ per example, each >= 0.5", () => {
    const c = configOf(["--method", "input", "--lambda-mode", "elem", "--lambda-max"]);
    expect(c).toMatchObject({ lambdaMode: "elem", lambdaMax: true });
    const policy = makePolicy({ ...c, layers: [0], layerNames: ["input"], backend: "cpu" } as TrainConfig)!;
    expect(policy).toMatchObject({ perExample: true, lambdaMax: true, alpha: 1 });
    const draw = policy.sample(key(3), 16);
    expect(draw.lambda).toBeInstanceOf(Array);
    const lambdas = [...(draw.lambda as Array).dataSync()];
    expect(lambdas).toHaveLength(16);
    for (const l of lambdas) expect(l).toBeGreaterThanOrEqual(0.5);
    // The defaults leave the config as it was (older run folders read the same).
    const plain = configOf(["--method", "manifold", "--lambda-mode", "batch"]);
    expect("lambdaMode" in plain || "lambdaMax" in plain).toBe(false);
  });

  it("bad values and combinations name the flag, with exit status 2", async () => {
    const cases: [string[], RegExp][] = [
      [["--lambda-mode", "pairs"], /^mmx train: --lambda-mode: unknown value 'pairs' \(did you mean 'pair'\?\); valid values: 'batch', 'pair', 'elem' or 'half'$/],
      [["--method", "none", "--lambda-max"], /^mmx: --lambda-max has no effect with --method none$/],
      [["--method", "none", "--lambda-mode", "elem"], /^mmx: --lambda-mode has no effect with --method none$/],
      [["--label-smoothing", "1"], /^mmx train: --label-smoothing must be in \[0, 1\), got '1'$/],
      [["--method", "cutmix"], /^mmx: --method cutmix: CutMix pastes boxes into images \[B,H,W,C\]; this model's input is \[-1,2\]$/],
      [["--method", "patchup", "--dataset", "fashion-mnist"], /^mmx: --method patchup: PatchUp swaps blocks of feature maps \[B,H,W,C\]; none of the boundaries 0 input \[-1,784\], 1 hidden1 \[-1,512\], 2 hidden2 \[-1,512\] is one$/],
      [["--lambda-max=yes"], /^mmx train: --lambda-max is a flag; it takes no value \(got 'yes'\)$/],
    ];
    for (const [argv, message] of cases) {
      const r = await run(["train", ...argv]);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.stderr.trim().split("\n")[0]).toMatch(message);
    }
  });

  it("a saved config checks them too", () => {
    const base = configOf(["--method", "none"]);
    const saved = { ...base, layers: [], layerNames: [], backend: "cpu" };
    expect(() => validateConfig({ ...saved, lambdaMode: "example" }, "config.json")).toThrow(/^config.json: its config field 'lambdaMode' is "example"; it must be one of 'batch', 'pair', 'elem' or 'half'$/);
    expect(() => validateConfig({ ...saved, labelSmoothing: 1.5 }, "config.json")).toThrow(/^config.json: its config field 'labelSmoothing' is 1.5; it must be a number in \[0, 1\)$/);
    expect(() => validateConfig({ ...saved, lambdaMax: true }, "config.json")).toThrow(/^config.json: its config is inconsistent: 'lambdaMode' or 'lambdaMax' is set, but method 'none' draws no λ$/);
  });

  it("a run trained with them records them and resumes with them", async () => {
    const out = join(tempDir(), "mix");
    const tiny = ["--dataset", "spirals", "--n-train", "64", "--n-test", "32", "--batch", "16", "--hidden", "8", "--quiet", "--out", out];
    expect((await run(["train", ...tiny, "--epochs", "1", "--method", "manifold", "--lambda-mode", "pair", "--lambda-max", "--label-smoothing", "0.1"])).code).toBe(0);
    expect(JSON.parse(readFileSync(join(out, "metrics.json"), "utf8")).config).toMatchObject({ lambdaMode: "pair", lambdaMax: true, labelSmoothing: 0.1 });
    const resumed = await run(["train", "--resume", "--out", out, "--epochs", "2", "--quiet"]);
    expect(resumed.code).toBe(0);
  });
});

describe("the methods beyond the paper's, from the registry", () => {
  const spirals = ["--dataset", "spirals", "--n-train", "64", "--n-test", "32", "--batch", "16", "--hidden", "8", "--epochs", "1", "--quiet"];
  const images = ["--dataset", "fashion-mnist", "--model", "small-cnn", "--train-limit", "20", "--test-limit", "10", "--batch", "10", "--epochs", "1", "--quiet", "--loss", "ce"];
  it.each([
    ["nfm", spirals, { alpha: 1, layers: [0, 1, 2, 3] }],
    ["regmixup", spirals, { alpha: 10, layers: [0] }],
    ["cutmix", images, { alpha: 1, layers: [0] }],
    ["patchup", images, { alpha: 2, layers: [0, 1, 2] }],
  ] as const)("mmx train --method %s trains, with its registry defaults", async (method, data, expected) => {
    const out = join(tempDir(), method);
    const r = await run(["train", ...data, "--method", method, "--out", out]);
    expect(r.stderr).not.toMatch(/^mmx( [a-z]+)?:/m);
    expect(r.code).toBe(0);
    const m = JSON.parse(readFileSync(join(out, "metrics.json"), "utf8"));
    expect(m.config).toMatchObject({ method, ...expected });
    expect(Number.isFinite(m.epochs[0].trainLoss)).toBe(true);
  }, 60_000);

  it("each policy mixes as its entry says", () => {
    const settings = { alpha: 1, layers: [0, 1] };
    expect(METHOD_REGISTRY.cutmix.policy(settings).options).toMatchObject({ alpha: 0, layers: [0], cutmix: { alpha: 1 } });
    expect(METHOD_REGISTRY.patchup.policy(settings).options).toMatchObject({ alpha: 1, layers: [0, 1], patchup: { gamma: 0.5, blockSize: 2 } });
    expect(METHOD_REGISTRY.nfm.policy(settings).options).toMatchObject({ noise: { add: 0.4, mult: 0.2 } });
    expect(METHOD_REGISTRY.regmixup.stepOptions({})).toEqual({ regMixup: { weight: 1 } });
  });
});

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

const configOf = (argv: string[]) => trainConfigFromArgs(parseArgs(argv, TRAIN_OPTIONS, "train"));

describe("mmx train's mixup flags", () => {
  it("--lambda-mode example and --lambda-max reach the policy: one λ per example, each >= 0.5", () => {
    const c = configOf(["--method", "input", "--lambda-mode", "example", "--lambda-max"]);
    expect(c).toMatchObject({ lambdaMode: "example", lambdaMax: true });
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
      [["--lambda-mode", "pair"], /^mmx train: --lambda-mode: unknown value 'pair'; valid values: 'batch' or 'example'$/],
      [["--method", "none", "--lambda-max"], /^mmx: --lambda-max has no effect with --method none$/],
      [["--method", "none", "--lambda-mode", "example"], /^mmx: --lambda-mode has no effect with --method none$/],
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
    expect(() => validateConfig({ ...saved, lambdaMode: "elem" }, "config.json")).toThrow(/^config.json: its config field 'lambdaMode' is "elem"; it must be one of 'batch' or 'example'$/);
    expect(() => validateConfig({ ...saved, lambdaMax: true }, "config.json")).toThrow(/^config.json: its config is inconsistent: 'lambdaMode' or 'lambdaMax' is set, but method 'none' draws no λ$/);
  });

  it("a run trained with them records them and resumes with them", async () => {
    const out = join(tempDir(), "mix");
    const tiny = ["--dataset", "spirals", "--n-train", "64", "--n-test", "32", "--batch", "16", "--hidden", "8", "--quiet", "--out", out];
    expect((await run(["train", ...tiny, "--epochs", "1", "--method", "manifold", "--lambda-mode", "example", "--lambda-max"])).code).toBe(0);
    expect(JSON.parse(readFileSync(join(out, "metrics.json"), "utf8")).config).toMatchObject({ lambdaMode: "example", lambdaMax: true });
    const resumed = await run(["train", "--resume", "--out", out, "--epochs", "2", "--quiet"]);
    expect(resumed.code).toBe(0);
  });
});

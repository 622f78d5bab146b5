import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseArgs } from "../args.js";
import { run, tempDir } from "../test-helpers.js";
import { REPRODUCE_OPTIONS } from "./command.js";
import { methodPlans } from "./method-plans.js";
import { mixFlagsText, withMixFlags } from "./mix-flags.js";
import { runConfig } from "./pipeline.js";
import { findPreset } from "./presets.js";

const plansFor = (argv: string[]) => {
  const args = parseArgs(argv, REPRODUCE_OPTIONS, "reproduce");
  return withMixFlags(args, methodPlans((args.values.methods as string[] | undefined) ?? ["none", "input", "manifold"]));
};

describe("mmx reproduce takes mmx train's step flags", () => {
  it("each flag goes to the compared methods it changes, recorded in their runs' configs and echoed as typed", () => {
    const plans = plansFor(["--methods", "none,input,nfm", "--lambda-mode", "elem", "--label-smoothing", "0.1", "--noise-add", "0.1", "--no-self-pairs"]);
    expect(plans).toEqual([
      { method: "none", alpha: 0, options: { labelSmoothing: 0.1 } },
      { method: "input", alpha: 1, options: { lambdaMode: "elem", labelSmoothing: 0.1, selfPairs: false } },
      { method: "nfm", alpha: 1, options: { lambdaMode: "elem", labelSmoothing: 0.1, noiseAdd: 0.1, selfPairs: false } },
    ]);
    expect(mixFlagsText(plans)).toBe(" --lambda-mode elem --label-smoothing 0.1 --noise-add 0.1 --no-self-pairs");
    const plan = findPreset("small-data", "tiny").plans[0]!;
    expect(runConfig(plan, plans[2]!, 0, "cpu")).toMatchObject({ method: "nfm", lambdaMode: "elem", labelSmoothing: 0.1, noiseAdd: 0.1, selfPairs: false });
    // Without flags the plans are the methods' defaults, as before.
    expect(plansFor([])).toEqual(methodPlans(["none", "input", "manifold"]));
    expect(mixFlagsText(plansFor(["--lambda-mode", "batch"]))).toBe("");
  });

  it("a flag no compared method takes, a contradiction, a bad value: one line naming the flag, exit 2", async () => {
    const cases: [string[], string][] = [
      [["--noise-add", "0.1"], "mmx reproduce: --noise-add changes nfm; none of the compared methods (none, input, manifold) is one"],
      [["--methods", "none", "--no-self-pairs"], "mmx reproduce: --no-self-pairs changes input, manifold, cutmix, patchup, nfm, regmixup; none of the compared methods (none) is one"],
      [["--ways", "3", "--lambda-mode", "pair"], "mmx reproduce: --methods input: --ways 3 mixes more than pairs; it cannot be combined with --lambda-mode pair"],
      [["--methods", "patchup", "--patchup-alpha", "1"], "mmx reproduce: --methods patchup: --patchup-alpha is soft PatchUp's α; it needs --patchup-mode soft (hard PatchUp swaps the blocks whole)"],
      [["--label-smoothing", "1"], "mmx reproduce: --label-smoothing must be in [0, 1), got '1'"],
      [["--regime", "map", "--lambda-mode", "elem"], "mmx reproduce --regime map: --lambda-mode does not apply; the map compares no, input and manifold mixup, each at its defaults (mmx sweep crosses other methods and flags)"],
      [["--regime", "map", "--methods", "none,nfm"], "mmx reproduce --regime map: --methods does not apply; the map compares no, input and manifold mixup, each at its defaults (mmx sweep crosses other methods and flags)"],
      [["--regime", "map", "--vmap-seeds"], "mmx reproduce --regime map: --vmap-seeds does not apply; the map compares no, input and manifold mixup, each at its defaults (mmx sweep crosses other methods and flags)"],
    ];
    for (const [argv, message] of cases) {
      const r = await run(["reproduce", "--preset", "tiny", "--quiet", "--out", join(tempDir(), "x"), ...argv]);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.stderr.trim(), argv.join(" ")).toBe(message);
    }
  });

  it("--vmap-seeds and separate runs train with the same flags: the same configs, the same training losses", async () => {
    const dir = tempDir();
    const common = ["reproduce", "--regime", "small-data", "--preset", "tiny", "--epochs", "1", "--methods", "none,input", "--lambda-mode", "elem", "--label-smoothing", "0.1", "--no-self-pairs", "--backend", "cpu", "--jobs", "1", "--quiet"];
    const together = await run([...common, "--vmap-seeds", "--out", join(dir, "vmapped")]);
    expect(together.stderr).toBe("");
    expect(together.code).toBe(0);
    expect(together.stdout).toMatch(/^mmx reproduce --regime small-data --preset tiny --epochs 1 --methods none,input --lambda-mode elem --label-smoothing 0\.1 --no-self-pairs: no mixup \/ input mixup on fashion-mnist/m);
    const apart = await run([...common, "--out", join(dir, "separate")]);
    expect(apart.code).toBe(0);
    const losses = (name: string) =>
      (JSON.parse(readFileSync(join(dir, name, "summary.json"), "utf8")).outcomes as { method: string; seed: number; curve: { trainLoss: number }[] }[]).map((o) => [`${o.method} s${o.seed}`, o.curve.map((e) => e.trainLoss)] as const);
    const [v, s] = [losses("vmapped"), losses("separate")];
    expect(v.map(([name]) => name)).toEqual(s.map(([name]) => name));
    v.forEach(([name, curve], i) => curve.forEach((l, e) => expect(Math.abs(l - s[i]![1][e]!), `${name} epoch ${e + 1}`).toBeLessThan(1e-5)));
    for (const [name] of v) {
      const folder = `fashion-mnist-${name.replace(" ", "-")}`;
      const config = readFileSync(join(dir, "vmapped", folder, "config.json"), "utf8");
      expect(config).toBe(readFileSync(join(dir, "separate", folder, "config.json"), "utf8"));
      expect(JSON.parse(config)).toMatchObject(name.startsWith("none") ? { labelSmoothing: 0.1 } : { lambdaMode: "elem", labelSmoothing: 0.1, selfPairs: false });
    }
  }, 300_000);
});

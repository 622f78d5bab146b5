import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { np, tag, tidy, type Array } from "@mmx/core";
import { bceSoftmax } from "@mmx/losses";
import { mixup, trainStep, type MixupPolicy, type TrainableModel } from "@mmx/mixup";
import { sgd } from "@mmx/optim";
import { foldIn, key } from "@mmx/random";
import { parseArgs } from "./args.js";
import { scheduleChange, TRAIN_OPTIONS, trainConfigFromArgs, type TrainConfig } from "./config.js";
import { validateConfig } from "./config-schema.js";
import { METHOD_REGISTRY } from "./methods.js";
import { MIX_OPTIONS } from "./mix-options.js";
import { expandCells } from "./sweep/cells.js";
import { checkSpec } from "./sweep/spec.js";
import { run, spiralsConfig, tempDir } from "./test-helpers.js";
import { mixStepOptions } from "./train.js";

const configOf = (argv: string[]) => trainConfigFromArgs(parseArgs(argv, TRAIN_OPTIONS, "train"));
const spirals = (c: Partial<TrainConfig>) => spiralsConfig({ epochs: 4, ...c });
/** The boundaries of a batch of 8 images 6×6×2 (input) with a spatial boundary 1, for policies that need shapes. */
const imageBoundaries = () => {
  const f = (w: Array, x: Array) => np.matmul(np.mean(tag(np.tanh(np.mul(x, w)), "map"), { axis: [1, 2] }), np.ones([2, 3]));
  return mixup.boundaries(f, np.array(1), np.zeros([8, 6, 6, 2]));
};
const policyOf = (c: TrainConfig, stepsPerEpoch = 10): MixupPolicy => mixStepOptions(c, stepsPerEpoch).policy!;

describe("mmx train's flags for the mixup algebra", () => {
  it("each flag sets the field named as the library's option; defaults are not recorded", () => {
    const cases: [string[], Partial<TrainConfig>][] = [
      [["--method", "cutmix", "--cutmix-minmax", "0.2,0.6"], { cutmixMinMax: [0.2, 0.6] }],
      [["--method", "cutmix", "--switch-prob", "0.3"], { switchProb: 0.3 }],
      [["--method", "cutmix", "--switch-prob", "0.5", "--cutmix-alpha", "0.4"], { switchProb: 0.5, cutmixAlpha: 0.4 }],
      [["--method", "patchup", "--switch-prob", "0.7", "--patchup-gamma", "0.3", "--patchup-block-size", "3", "--patchup-mode", "soft", "--patchup-loss"], { switchProb: 0.7, patchupGamma: 0.3, patchupBlockSize: 3, patchupMode: "soft", patchUpLoss: true }],
      [["--method", "patchup", "--patchup-mode", "soft", "--patchup-alpha", "0.5"], { patchupMode: "soft", patchupAlpha: 0.5 }],
      [["--method", "nfm", "--noise-add", "0.1", "--noise-mult", "0"], { noiseAdd: 0.1, noiseMult: 0 }],
      [["--method", "nfm", "--noise-fixed-levels"], { noiseFixedLevels: true }],
      [["--method", "regmixup", "--regmixup-weight", "0.5", "--alpha", "20"], { regMixupWeight: 0.5, alpha: 20 }],
      [["--method", "manifold", "--ways", "4", "--no-self-pairs", "--alpha-schedule", "cosine", "--mixup-off-epoch", "3", "--bn-policy", "after", "--mix-at", "tag"], { ways: 4, selfPairs: false, alphaSchedule: "cosine", offEpoch: 3, bn: "after", at: "tag" }],
    ];
    for (const [argv, fields] of cases) expect(configOf(argv), argv.join(" ")).toMatchObject(fields);
    const plain = configOf(["--method", "input", "--ways", "2", "--self-pairs", "--alpha-schedule", "constant"]);
    expect(configOf(["--method", "nfm", "--no-noise-fixed-levels"])).not.toHaveProperty("noiseFixedLevels");
    for (const field of Object.keys(MIX_OPTIONS)) expect(field in plain, field).toBe(false);
  });

  it("bad values, flags for another method and conflicting flags are one-line errors naming the flag, exit 2", async () => {
    const cases: [string[], string][] = [
      [["--method", "cutmix", "--cutmix-minmax", "0.6,0.2"], "mmx train: --cutmix-minmax must be LO,HI with 0 <= LO <= HI <= 1 (fractions of the image side), got '0.6,0.2'"],
      [["--method", "cutmix", "--cutmix-minmax", "0.5"], "mmx train: --cutmix-minmax must be LO,HI with 0 <= LO <= HI <= 1 (fractions of the image side), got '0.5'"],
      [["--method", "cutmix", "--switch-prob", "1.5"], "mmx train: --switch-prob must be in [0, 1], got '1.5'"],
      [["--method", "cutmix", "--cutmix-alpha", "0"], "mmx train: --cutmix-alpha must be > 0, got '0'"],
      [["--method", "cutmix", "--dataset", "fashion-mnist", "--model", "small-cnn", "--cutmix-alpha", "0.5"], "mmx: --cutmix-alpha sets CutMix's α apart from mixup's, which --method cutmix has only with --switch-prob P; without it --alpha is CutMix's"],
      [["--method", "cutmix", "--dataset", "fashion-mnist", "--model", "small-cnn", "--switch-prob", "0.5", "--cutmix-alpha", "0.5", "--cutmix-minmax", "0.2,0.4"], "mmx: --cutmix-alpha and --cutmix-minmax both choose CutMix's box; give one"],
      [["--method", "manifold", "--cutmix-alpha", "1"], "mmx: --cutmix-alpha applies to --method cutmix; this run is --method manifold"],
      [["--method", "patchup", "--patchup-gamma", "-0.1"], "mmx train: --patchup-gamma must be in [0, 1], got '-0.1'"],
      [["--method", "patchup", "--patchup-block-size", "0"], "mmx train: --patchup-block-size must be >= 1, got '0'"],
      [["--method", "patchup", "--patchup-mode", "sof"], "mmx train: --patchup-mode: unknown value 'sof' (did you mean 'soft'?); valid values: 'hard' or 'soft'"],
      [["--method", "patchup", "--patchup-mode", "soft", "--patchup-alpha", "0"], "mmx train: --patchup-alpha must be > 0, got '0'"],
      [["--method", "patchup", "--patchup-mode", "soft", "--patchup-alpha", "two"], "mmx train: --patchup-alpha must be a number, got 'two'"],
      [["--method", "patchup", "--dataset", "fashion-mnist", "--model", "small-cnn", "--patchup-alpha", "1"], "mmx: --patchup-alpha is soft PatchUp's α; it needs --patchup-mode soft (hard PatchUp swaps the blocks whole)"],
      [["--method", "patchup", "--dataset", "fashion-mnist", "--model", "small-cnn", "--patchup-mode", "hard", "--patchup-alpha", "1"], "mmx: --patchup-alpha is soft PatchUp's α; it needs --patchup-mode soft (hard PatchUp swaps the blocks whole)"],
      [["--method", "manifold", "--patchup-alpha", "1"], "mmx: --patchup-alpha applies to --method patchup; this run is --method manifold"],
      [["--method", "nfm", "--noise-mult", "-1"], "mmx train: --noise-mult must be >= 0, got '-1'"],
      [["--method", "regmixup", "--regmixup-weight", "x"], "mmx train: --regmixup-weight must be a number, got 'x'"],
      [["--ways", "1"], "mmx train: --ways must be >= 2, got '1'"],
      [["--ways", "2.5"], "mmx train: --ways must be a whole number, got '2.5'"],
      [["--mixup-off-epoch", "0"], "mmx train: --mixup-off-epoch must be >= 1, got '0'"],
      [["--bn-policy", "clear"], "mmx train: --bn-policy: unknown value 'clear' (did you mean 'clean'?); valid values: 'mixed', 'clean' or 'after'"],
      [["--mix-at", "edge"], "mmx train: --mix-at: unknown value 'edge'; valid values: 'cut' or 'tag'"],
      [["--alpha-schedule", "linear"], "mmx train: --alpha-schedule: unknown value 'linear'; valid values: 'constant' or 'cosine'"],
      [["--method", "manifold", "--switch-prob", "0.5"], "mmx: --switch-prob applies to --method cutmix, --method patchup; this run is --method manifold"],
      [["--method", "input", "--noise-add", "0.1"], "mmx: --noise-add applies to --method nfm; this run is --method input"],
      [["--method", "manifold", "--noise-fixed-levels"], "mmx: --noise-fixed-levels applies to --method nfm; this run is --method manifold"],
      [["--method", "patchup", "--cutmix-minmax", "0.1,0.2"], "mmx: --cutmix-minmax applies to --method cutmix; this run is --method patchup"],
      [["--method", "manifold", "--patchup-loss"], "mmx: --patchup-loss applies to --method cutmix, --method patchup; this run is --method manifold"],
      [["--method", "nfm", "--regmixup-weight", "1"], "mmx: --regmixup-weight applies to --method regmixup; this run is --method nfm"],
      [["--method", "none", "--no-self-pairs"], "mmx: --no-self-pairs has no effect with --method none"],
      [["--method", "none", "--bn-policy", "clean"], "mmx: --bn-policy has no effect with --method none"],
      [["--method", "none", "--mixup-off-epoch", "2"], "mmx: --mixup-off-epoch has no effect with --method none"],
      [["--method", "manifold", "--ways", "3", "--lambda-mode", "pair"], "mmx: --ways 3 mixes more than pairs; it cannot be combined with --lambda-mode pair"],
      [["--method", "cutmix", "--dataset", "fashion-mnist", "--alpha-schedule", "cosine"], "mmx: --alpha-schedule changes mixup steps, and --method cutmix has none without --switch-prob P (the probability of a CutMix step)"],
      [["--patchup-loss=maybe"], "mmx train: --patchup-loss is a flag; it takes no value (got 'maybe')"],
    ];
    for (const [argv, message] of cases) {
      const r = await run(["train", "--quiet", "--out", join(tempDir(), "x"), ...argv]);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.stderr.trim(), argv.join(" ")).toBe(message);
    }
  });

  it("each flag is in mmx train --help, with what it changes", async () => {
    const help = (await run(["train", "--help"])).stdout;
    for (const { spec, methods } of Object.values(MIX_OPTIONS)) {
      const line = help.split("\n").find((l) => l.startsWith(`  --${spec.name}`));
      expect(line, spec.name).toBeDefined();
      if (methods.length === 1) expect(line, spec.name).toContain(`${methods[0]}:`);
    }
    // Every flag of the algebra says its default, the mixing flags beside them too.
    for (const name of [...Object.values(MIX_OPTIONS).map((o) => o.spec.name), "method", "alpha", "lambda-mode", "lambda-max", "label-smoothing", "layers"]) {
      expect(help.split("\n").find((l) => l.startsWith(`  --${name} `)), name).toMatch(/\(default: [^)]/);
    }
    for (const [method, { alpha }] of Object.entries(METHOD_REGISTRY)) if (alpha > 0) expect(help).toContain(`${alpha} for ${method}`);
    // mmx reproduce --methods names every method, each with its default α.
    const reproduceHelp = (await run(["reproduce", "--help"])).stdout;
    const methodsLine = reproduceHelp.split("\n").find((l) => l.startsWith("  --methods "))!;
    for (const [method, { alpha }] of Object.entries(METHOD_REGISTRY)) expect(methodsLine, method).toContain(alpha > 0 ? `${method} (α ${alpha})` : method);
    expect(methodsLine).toContain("(default: none,input,manifold)");
  });

  it("a saved config checks each field and its fit to the method, naming the field", () => {
    const saved = spirals({});
    const cases: [Partial<TrainConfig>, string][] = [
      [{ ways: 1 }, "field 'ways' is 1; it must be a whole number >= 2"],
      [{ cutmixMinMax: [0.5] as never }, "field 'cutmixMinMax' is [0.5]; it must be [lo, hi] with 0 <= lo <= hi <= 1 (fractions of the image side)"],
      [{ patchupMode: "medium" as never }, "field 'patchupMode' is \"medium\"; it must be one of 'hard' or 'soft'"],
      [{ selfPairs: "no" as never }, "field 'selfPairs' is \"no\"; it must be true or false"],
      [{ bn: "batch" as never }, "field 'bn' is \"batch\"; it must be one of 'mixed', 'clean' or 'after'"],
      [{ noiseAdd: 0.3 }, "is inconsistent: 'noiseAdd' applies to method 'nfm', not method 'manifold'"],
      [{ method: "cutmix", alpha: 1, layers: [0], layerNames: ["input"], cutmixAlpha: 0.5 }, "is inconsistent: 'cutmixAlpha' sets CutMix's α apart from mixup's, which --method cutmix has only with 'switchProb' P; without it --alpha is CutMix's"],
      [{ method: "nfm", noiseFixedLevels: "yes" as never }, "field 'noiseFixedLevels' is \"yes\"; it must be true or false"],
      [{ method: "patchup", patchupMode: "soft", patchupAlpha: 0 }, "field 'patchupAlpha' is 0; it must be a number > 0"],
      [{ method: "patchup", patchupAlpha: 1 }, "is inconsistent: 'patchupAlpha' is soft PatchUp's α; it needs 'patchupMode' soft (hard PatchUp swaps the blocks whole)"],
      [{ method: "none", alpha: 0, layers: [], layerNames: [], at: "tag" }, "is inconsistent: 'at' has no effect with method 'none'"],
      [{ ways: 3, lambdaMode: "pair" }, "is inconsistent: 'ways' 3 mixes more than pairs; it cannot be combined with 'lambdaMode' pair"],
    ];
    for (const [changes, message] of cases) expect(() => validateConfig({ ...saved, ...changes }, "config.json")).toThrow(`config.json: its config ${message}`);
    expect(validateConfig({ ...saved, ways: 3, selfPairs: false, alphaSchedule: "cosine", offEpoch: 2, bn: "clean", at: "tag" }, "config.json")).toMatchObject({ ways: 3 });
  });

  it("--alpha-schedule cosine spans the run's epochs: a resume that changes them is refused", () => {
    expect(scheduleChange(spirals({ schedule: "constant", alphaSchedule: "cosine" }), 6)).toMatch(/^would change the run's cosine α schedule \(--alpha-schedule\), which spans its 4 epochs/);
    expect(scheduleChange(spirals({ schedule: "constant" }), 6)).toBeUndefined();
  });
});

describe("a sweep passes them through", () => {
  it("mixFlags reach the cells whose method they change; a bad name or value names the spec field or the cell", () => {
    const spec = checkSpec({ datasets: ["spirals"], methods: ["none", "manifold", "nfm"], seeds: [0], epochs: [1], mixFlags: ["ways=3", "no-self-pairs", "noise-add=0.1"] }, "grid.json");
    const cells = expandCells(spec, "wasm", "grid.json");
    const byMethod = Object.fromEntries(cells.map((c) => [c.config.method, c.config]));
    expect(byMethod.manifold).toMatchObject({ ways: 3, selfPairs: false });
    expect(byMethod.manifold).not.toHaveProperty("noiseAdd");
    expect(byMethod.nfm).toMatchObject({ ways: 3, selfPairs: false, noiseAdd: 0.1 });
    for (const field of Object.keys(MIX_OPTIONS)) expect(byMethod.none, field).not.toHaveProperty(field);
    expect(() => checkSpec({ mixFlags: ["wayz=3"] }, "grid.json")).toThrow(/^grid.json: mixFlags\[0\] must be one of mmx train's mixing flags without dashes \(name=value, or a bare flag\): cutmix-minmax, cutmix-alpha, switch-prob, .*; got "wayz=3"$/);
    const bad = checkSpec({ methods: ["manifold"], mixFlags: ["ways=1"] }, "grid.json");
    expect(() => expandCells(bad, "wasm", "grid.json")).toThrow("grid.json: cell 'spirals spiral-net e100 manifold s0': --ways must be >= 2, got '1'");
  });
});

describe("the flags reach the training step", () => {
  it("ways, no self-pairs, the α schedule and the off epoch change the policy's draws", () =>
    tidy(() => {
      const dirichlet = policyOf(spirals({ ways: 3, selfPairs: false })).sample(key(1), 8, { epoch: 0, step: 0 });
      expect(dirichlet.mixing.kind).toBe("dirichlet");
      expect(dirichlet.perm.shape).toEqual([3, 8]);
      const rows = dirichlet.perm.dataSync();
      for (const r of [1, 2]) for (let i = 0; i < 8; i++) expect(rows[r * 8 + i]).not.toBe(i);
      // Cosine α over 4 epochs of 10 steps: the full α at step 0, 0 (no mixing) at step 40.
      const scheduled = policyOf(spirals({ alphaSchedule: "cosine" }));
      expect(scheduled.sample(key(2), 8, { epoch: 0, step: 0 }).active).toBe(true);
      expect(scheduled.sample(key(2), 8, { epoch: 4, step: 40 }).active).toBe(false);
      const off = policyOf(spirals({ offEpoch: 2 }));
      expect(off.sample(key(2), 8, { epoch: 1, step: 19 }).active).toBe(true);
      expect(off.sample(key(2), 8, { epoch: 2, step: 20 }).active).toBe(false);
    }));

  it("CutMix's box range and switch probability, PatchUp's γ, block and mode, and NFM's levels change the draws", () =>
    tidy(() => {
      const list = imageBoundaries();
      const images = { dataset: "fashion-mnist", model: "small-cnn", spiralsTrain: 0, spiralsTest: 0 } as const;
      // minMax [0.5, 0.5] on 6×6: a 3×3 box before clipping, so at most a quarter of the image is pasted.
      const cutmix = policyOf(spirals({ ...images, method: "cutmix", alpha: 1, layers: [0], layerNames: ["input"], cutmixMinMax: [0.5, 0.5], switchProb: 0.25 }));
      let masks = 0;
      for (let s = 0; s < 200; s++) {
        const d = cutmix.sample(key(s), list, { epoch: 0, step: s });
        if (d.mixing.kind !== "mask") continue;
        masks++;
        expect(d.lambda).toBeGreaterThanOrEqual(1 - 9 / 36);
      }
      expect(masks / 200).toBeGreaterThan(0.15);
      expect(masks / 200).toBeLessThan(0.35);
      // CutMix's own α beside mixup's: the box's area from Beta(0.3, 0.3), the mixup steps' λ from Beta(1, 1).
      const apart = policyOf(spirals({ ...images, method: "cutmix", alpha: 1, layers: [0], layerNames: ["input"], cutmixAlpha: 0.3, switchProb: 0.5 }));
      expect(apart.alpha).toBe(1);
      expect(apart.options.cutmix).toMatchObject({ alpha: 0.3, switchProb: 0.5 });
      expect(policyOf(spirals({ ...images, method: "cutmix", alpha: 1, layers: [0], layerNames: ["input"], switchProb: 0.5 })).options.cutmix).toMatchObject({ alpha: 1 });
      const patchup = policyOf(spirals({ ...images, method: "patchup", alpha: 2, layers: [1], layerNames: ["map"], patchupGamma: 0.9, patchupBlockSize: 3, patchupMode: "soft", switchProb: 1 }));
      const d = patchup.sample(key(4), list, { epoch: 0, step: 0 });
      if (d.mixing.kind !== "mask") throw new Error("expected a PatchUp mask");
      const values = new Set(d.mixing.mask.dataSync());
      expect(values.size).toBe(2);
      expect([...values].some((v) => v > 0 && v < 1)).toBe(true);
      expect(patchup.options.patchup).toMatchObject({ gamma: 0.9, blockSize: 3, mode: "soft", switchProb: 1 });
      const nfm = policyOf(spirals({ method: "nfm", alpha: 1, noiseAdd: 0.1, noiseMult: 0 }));
      expect(nfm.options.noise).toEqual({ add: 0.1, mult: 0 });
      const noise = nfm.sample(key(5), list.map((b) => ({ ...b, shape: [8, 4] })) as never, { epoch: 0, step: 0 }).mixing.noise!;
      expect(Object.keys(noise)).toEqual(["add"]);
      // Fixed levels: b_add = 1, so the additive noise is σ_add·N(0, 1) itself, the same draw scaled by 1 / b_add.
      const fixed = policyOf(spirals({ method: "nfm", alpha: 1, noiseAdd: 0.1, noiseMult: 0, noiseFixedLevels: true }));
      expect(fixed.options.noise).toEqual({ add: 0.1, mult: 0, fixedLevels: true });
      const fixedNoise = fixed.sample(key(5), list.map((b) => ({ ...b, shape: [8, 4] })) as never, { epoch: 0, step: 0 }).mixing.noise!;
      const [scaled, unscaled] = [(noise.add as Array).dataSync(), (fixedNoise.add as Array).dataSync()];
      const ratio = scaled[0]! / unscaled[0]!;
      expect(ratio).toBeGreaterThan(0);
      expect(ratio).toBeLessThan(1);
      scaled.forEach((v, i) => expect(v / unscaled[i]!).toBeCloseTo(ratio, 4));
    }));

  it("--patchup-alpha is soft PatchUp's λ ~ Beta(A, A) in the blocks: near 0 or 1 for a small A, near 1/2 for a large one", () =>
    tidy(() => {
      const list = imageBoundaries();
      const images = { dataset: "fashion-mnist", model: "small-cnn", spiralsTrain: 0, spiralsTest: 0 } as const;
      const blockLambdas = (patchupAlpha: number | undefined) => {
        const policy = policyOf(spirals({ ...images, method: "patchup", alpha: 2, layers: [1], layerNames: ["map"], patchupGamma: 0.9, patchupMode: "soft", switchProb: 1, ...(patchupAlpha !== undefined ? { patchupAlpha } : {}) }));
        expect(policy.options.patchup?.alpha).toBe(patchupAlpha);
        const values: number[] = [];
        for (let s = 0; s < 40; s++) {
          const d = policy.sample(key(s), list, { epoch: 0, step: s });
          if (d.mixing.kind !== "mask") throw new Error("expected a PatchUp mask");
          values.push(...[...d.mixing.mask.dataSync()].filter((v) => v !== 1));
        }
        return values;
      };
      const distance = (vs: number[]) => vs.reduce((a, v) => a + Math.abs(v - 0.5), 0) / vs.length;
      const small = blockLambdas(0.05);
      const large = blockLambdas(200);
      expect(small.length).toBeGreaterThan(0);
      expect(large.length).toBeGreaterThan(0);
      // Beta(0.05, 0.05) sits at its ends, Beta(200, 200) within a few hundredths of 1/2.
      expect(distance(small)).toBeGreaterThan(0.4);
      for (const v of large) expect(Math.abs(v - 0.5)).toBeLessThan(0.1);
      // Without the flag the library's default α (Beta(2, 2)): neither extreme.
      const d = distance(blockLambdas(undefined));
      expect(d).toBeGreaterThan(0.1);
      expect(d).toBeLessThan(0.3);
    }));

  it("RegMixup's weight, PatchUp's objective and the placement options reach trainStep, and change the loss or the program", () =>
    tidy(() => {
      expect(mixStepOptions(spirals({ method: "regmixup", alpha: 10, layers: [0], layerNames: ["input"], regMixupWeight: 0.5 }), 10).regMixup).toEqual({ weight: 0.5 });
      expect(mixStepOptions(spirals({ bn: "clean", at: "tag" }), 10).mixupOptions).toEqual({ bn: "clean", at: "tag" });
      expect(mixStepOptions(spirals({}), 10)).not.toHaveProperty("mixupOptions");
      expect(mixStepOptions(spirals({ method: "patchup", patchUpLoss: true }), 10).patchUpLoss).toBe(true);
      expect(mixStepOptions(spirals({}), 10)).not.toHaveProperty("patchUpLoss");
      // A model with a residual block tagged inside and a batch statistic after the tag: cut ≠ tag, clean ≠ mixed.
      type P = { w1: Array; w2: Array; w3: Array };
      const model: TrainableModel<P> = {
        apply: (p, x) => {
          const a = np.tanh(np.matmul(x, p.w1));
          const t = tag(np.tanh(np.matmul(a, p.w2)), "inner");
          const h = np.add(t, a);
          // The batch's mean square: unlike its mean, mixing changes it.
          const normed = np.mul(h, np.rsqrt(np.add(np.mean(np.square(h), { axis: 0 }), 1e-5)));
          return { out: np.matmul(normed, p.w3), state: {} };
        },
      };
      const weights = (shape: [number, number], seed: number) => np.array(Float32Array.from({ length: shape[0] * shape[1] }, (_, i) => Math.sin(3 * i + seed)), { shape });
      const params: P = { w1: weights([3, 4], 0), w2: weights([4, 4], 1), w3: weights([4, 2], 2) };
      const x = np.array(Float32Array.from({ length: 18 }, (_, i) => Math.sin(i)), { shape: [6, 3] });
      const y = np.array([0, 1, 1, 0, 1, 0], { dtype: "int32" });
      const lossWith = (c: Partial<TrainConfig>) => {
        const step = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1 }), ...mixStepOptions(spirals({ layers: [1], layerNames: ["inner"], ...c }), 10), donate: false });
        return step(step.init(params), x, y, foldIn(key(7), 0), { epoch: 0, step: 0 }).loss.item();
      };
      const base = lossWith({});
      expect(lossWith({ at: "tag" })).not.toBeCloseTo(base, 6);
      expect(lossWith({ bn: "clean" })).not.toBeCloseTo(base, 6);
      // RegMixup: ℓ(clean) + w·ℓ(mixed), linear in the weight.
      const reg = (w: number) => lossWith({ method: "regmixup", alpha: 10, layers: [0], layerNames: ["input"], regMixupWeight: w });
      expect(reg(2) - reg(1)).toBeCloseTo(reg(1) - reg(0), 5);
      expect(reg(1) - reg(0)).toBeGreaterThan(0);
    }));
});

describe("tiny runs with the flags", () => {
  const tiny = ["--dataset", "spirals", "--n-train", "64", "--n-test", "32", "--batch", "16", "--hidden", "8", "--quiet"];
  const images = ["--dataset", "fashion-mnist", "--model", "small-cnn", "--train-limit", "20", "--test-limit", "10", "--batch", "10", "--epochs", "1", "--quiet", "--loss", "ce"];
  const saved = (out: string) => JSON.parse(readFileSync(join(out, "config.json"), "utf8")) as TrainConfig;

  it("train with them, record them in config.json, resume and evaluate with them", async () => {
    const out = join(tempDir(), "manifold");
    const flags = ["--method", "manifold", "--ways", "3", "--no-self-pairs", "--mixup-off-epoch", "1", "--bn-policy", "clean", "--mix-at", "tag"];
    const first = await run(["train", ...tiny, "--epochs", "1", ...flags, "--out", out]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(saved(out)).toMatchObject({ ways: 3, selfPairs: false, offEpoch: 1, bn: "clean", at: "tag" });
    const resumed = await run(["train", "--resume", "--out", out, "--epochs", "2", "--quiet"]);
    expect(resumed.code).toBe(0);
    expect(saved(out)).toMatchObject({ epochs: 2, ways: 3, selfPairs: false, offEpoch: 1 });
    const evaluated = await run(["eval", out, "--calibration-examples", "64"]);
    expect(evaluated.code).toBe(0);
  }, 120_000);

  it("--patchup-alpha is recorded and honoured on --resume: 1 epoch and a resume equal 2 epochs straight, and another α differs", async () => {
    const data = images.filter((a, i) => a !== "--epochs" && images[i - 1] !== "--epochs");
    const soft = ["--method", "patchup", "--patchup-mode", "soft", "--switch-prob", "1", "--patchup-gamma", "0.9", "--backend", "wasm"];
    const losses = (out: string) => (JSON.parse(readFileSync(join(out, "metrics.json"), "utf8")).epochs as { trainLoss: number }[]).map((e) => e.trainLoss);
    const straight = join(tempDir(), "straight");
    expect((await run(["train", ...data, ...soft, "--patchup-alpha", "0.2", "--epochs", "2", "--out", straight])).code).toBe(0);
    const split = join(tempDir(), "split");
    expect((await run(["train", ...data, ...soft, "--patchup-alpha", "0.2", "--epochs", "1", "--out", split])).code).toBe(0);
    expect(saved(split)).toMatchObject({ patchupMode: "soft", patchupAlpha: 0.2 });
    const resumed = await run(["train", "--resume", "--out", split, "--epochs", "2", "--quiet"]);
    expect(resumed.code).toBe(0);
    expect(saved(split)).toMatchObject({ epochs: 2, patchupAlpha: 0.2 });
    expect(losses(split)).toEqual(losses(straight));
    const other = join(tempDir(), "other");
    expect((await run(["train", ...data, ...soft, "--patchup-alpha", "20", "--epochs", "2", "--out", other])).code).toBe(0);
    expect(losses(other)[1]).not.toBe(losses(straight)[1]);
  }, 120_000);

  it.each([
    ["cutmix", images, ["--cutmix-minmax", "0.2,0.5", "--switch-prob", "0.5", "--patchup-loss", "--alpha-schedule", "cosine"], { cutmixMinMax: [0.2, 0.5], switchProb: 0.5, patchUpLoss: true, alphaSchedule: "cosine" }],
    ["patchup", images, ["--patchup-gamma", "0.3", "--patchup-block-size", "3", "--patchup-mode", "soft", "--switch-prob", "0.7", "--patchup-loss"], { patchupGamma: 0.3, patchupBlockSize: 3, patchupMode: "soft", switchProb: 0.7, patchUpLoss: true }],
    ["nfm", [...tiny, "--epochs", "1"], ["--noise-add", "0.1", "--noise-mult", "0.05", "--noise-fixed-levels"], { noiseAdd: 0.1, noiseMult: 0.05, noiseFixedLevels: true }],
    ["regmixup", [...tiny, "--epochs", "1"], ["--regmixup-weight", "0.5", "--alpha", "15"], { regMixupWeight: 0.5, alpha: 15 }],
  ] as const)("mmx train --method %s trains with its flags", async (method, data, flags, expected) => {
    const out = join(tempDir(), method);
    const r = await run(["train", ...data, "--method", method, ...flags, "--out", out]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(saved(out)).toMatchObject({ method, ...expected });
    const m = JSON.parse(readFileSync(join(out, "metrics.json"), "utf8"));
    expect(Number.isFinite(m.epochs[0].trainLoss)).toBe(true);
  }, 60_000);
});

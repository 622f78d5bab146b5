import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dispose, setBackend, type NDArray } from "@mmx/core";
import { parseArgs } from "./args.js";
import { readCheckpointInfo } from "./checkpoint.js";
import type { TrainConfig } from "./config.js";
import { loadData } from "./datasets.js";
import type { ProgressState } from "./progress.js";
import { REPRODUCE_OPTIONS } from "./reproduce/command.js";
import { mixFlagsText, withMixFlags } from "./reproduce/mix-flags.js";
import { PAPER_METHODS } from "./reproduce/method-plans.js";
import { runConfig } from "./reproduce/pipeline.js";
import { spreadOverCalls } from "./reproduce/time-probe.js";
import { findPreset } from "./reproduce/presets.js";
import { runFiles } from "./run-files.js";
import { stepGroups } from "./step-groups.js";
import { run, spiralsConfig, tempDir } from "./test-helpers.js";
import { train, type TrainOptions } from "./train.js";
import { trainSeedRuns } from "./train-seeds.js";

afterAll(async () => {
  await setBackend("wasm");
});

/** 150 points in batches of 16: 9 steps an epoch, so K = 8 trains a scanned group of 8 and a lone batch. */
const CONFIG: TrainConfig = spiralsConfig({ spiralsTrain: 150, spiralsTest: 64, batch: 16, hidden: [8], epochs: 3, backend: "cpu" });

/** Within float rounding: 1e-4 relative (with a floor for values near 0). */
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-4 * Math.max(Math.abs(a), Math.abs(b)) + 1e-6;

async function trainRecorded(config: TrainConfig, opts: Partial<TrainOptions> = {}) {
  const steps: { step: number; loss: number }[] = [];
  const updates: ProgressState[] = [];
  const out = opts.out ?? join(tempDir(), "run");
  const progress = { update: (p: ProgressState) => void updates.push(p), log: () => undefined, done: () => undefined };
  const r = await train(config, { out, progress, onStep: (s) => void steps.push(s), ...opts });
  dispose([r.params, r.modelState]);
  return { ...r, steps, updates, out };
}

/** Whether onnx runs here; if not, the reason, printed once by the test that skips it. */
async function onnxMissing(): Promise<string | undefined> {
  try {
    await import("@mmx/onnx");
    await setBackend("onnx");
    return undefined;
  } catch (e) {
    return (e as Error).message.split("\n")[0];
  }
}

describe("stepGroups", () => {
  it("groups consecutive batches of one size, up to K; a batch of another size starts its own group", () => {
    const batch = (n: number) => ({ x: { shape: [n, 2] }, y: { shape: [n] } }) as unknown as { x: NDArray; y: NDArray };
    const sizes = (batches: number[], k: number) => [...stepGroups(batches.map(batch), k)].map((g) => g.map((b) => b.x.shape[0]));
    expect(sizes([16, 16, 16, 16, 16, 5], 2)).toEqual([[16, 16], [16, 16], [16], [5]]);
    expect(sizes([16, 16, 16], 8)).toEqual([[16, 16, 16]]);
    expect(sizes([16, 16, 16], 1)).toEqual([[16], [16], [16]]);
    expect(sizes([], 4)).toEqual([]);
  });
});

describe("train with stepsPerCall", () => {
  for (const backend of ["cpu", "onnx"]) {
    it(`trains the same run as one step per call, with the same per-step bookkeeping (${backend})`, async () => {
      if (backend === "onnx") {
        const missing = await onnxMissing();
        if (missing) return void console.log(`skipped onnx: ${missing}`);
      }
      const config = { ...CONFIG, backend };
      const loop = await trainRecorded(config);
      const scanned = await trainRecorded({ ...config, stepsPerCall: 8 });
      // The same steps: per-epoch training loss and test metrics within float rounding.
      expect(scanned.metrics.map((m) => m.step)).toEqual([9, 18, 27]);
      for (const [i, m] of scanned.metrics.entries()) {
        const l = loop.metrics[i]!;
        for (const field of ["trainLoss", "testError", "testNll", "testEce", "lr"] as const) expect(close(m[field], l[field]), `epoch ${m.epoch} ${field}: ${m[field]} vs ${l[field]}`).toBe(true);
      }
      // onStep once per step, in order, with that step's loss.
      expect(scanned.steps.map((s) => s.step)).toEqual(Array.from({ length: 27 }, (_, i) => i + 1));
      for (const [i, s] of scanned.steps.entries()) expect(close(s.loss, loop.steps[i]!.loss), `step ${s.step}: ${s.loss} vs ${loop.steps[i]!.loss}`).toBe(true);
      // Progress per step; the group's time is recorded as each of its steps', so the first group gives an ETA at once.
      expect(scanned.updates.map((u) => u.step)).toEqual(loop.updates.map((u) => u.step));
      expect(scanned.updates).toHaveLength(27);
      expect(Number.isFinite(scanned.updates[0]!.etaSeconds)).toBe(true);
      expect(Number.isNaN(loop.updates[0]!.etaSeconds)).toBe(true);
      // Checkpoint and config.json as the loop's, with the steps per call recorded.
      expect(readCheckpointInfo(runFiles(scanned.out).checkpoint)).toMatchObject({ epoch: 3, step: 27 });
      expect(JSON.parse(readFileSync(runFiles(scanned.out).config, "utf8")).stepsPerCall).toBe(8);
      expect(JSON.parse(readFileSync(runFiles(loop.out).config, "utf8"))).not.toHaveProperty("stepsPerCall");
    }, 120_000);
  }

  it("resumes across a change of the steps per call: the same run as one trained without a break", async () => {
    const whole = await trainRecorded(CONFIG);
    const out = join(tempDir(), "resumed");
    await trainRecorded(CONFIG, { out, stopAfterEpochs: 1 });
    const resumed = await trainRecorded({ ...CONFIG, stepsPerCall: 4 }, { out, resume: true });
    expect(resumed.steps.map((s) => s.step)).toEqual(Array.from({ length: 18 }, (_, i) => i + 10));
    for (const [i, m] of resumed.metrics.entries()) expect(close(m.trainLoss, whole.metrics[i]!.trainLoss) && close(m.testNll, whole.metrics[i]!.testNll), `epoch ${m.epoch}`).toBe(true);
    expect(JSON.parse(readFileSync(runFiles(out).config, "utf8")).stepsPerCall).toBe(4);
  }, 120_000);

  it("reports a diverging step inside a group as that step, after the steps before it", async () => {
    const diverging = { ...CONFIG, lr: 1e6, epochs: 1 };
    const loop = await trainRecorded(diverging).then(() => undefined, (e: Error) => e);
    const steps: number[] = [];
    const scanned = await train({ ...diverging, stepsPerCall: 8 }, { out: join(tempDir(), "run"), onStep: (s) => void steps.push(s.step) }).then(() => undefined, (e: Error) => e);
    const at = (e: Error | undefined) => Number(/\(global step (\d+)\)/.exec(e?.message ?? "")?.[1]);
    expect(loop?.message).toMatch(/^training diverged at epoch 1, step \d of 9/);
    expect(scanned?.message).toMatch(/^training diverged at epoch 1, step \d of 9 \(global step \d\): the (loss is (NaN|Infinity|-Infinity)|updated state holds)/);
    // A group sees only its losses: a state broken at step s shows as the loss of step s + 1 (or, at the group's end, the state).
    expect([at(loop), at(loop) + 1]).toContain(at(scanned));
    // Inside the first group of 8, past its first step.
    expect(at(scanned)).toBeGreaterThan(2);
    expect(at(scanned)).toBeLessThan(8);
    expect(steps).toEqual(Array.from({ length: at(scanned) - 1 }, (_, i) => i + 1));
  }, 60_000);

  it("refuses a method whose policy step.scan cannot run, before training", async () => {
    const cutmix = { ...CONFIG, method: "cutmix" as const, alpha: 1, layers: [0], layerNames: ["input"], stepsPerCall: 4 };
    await expect(train(cutmix, { out: join(tempDir(), "run") })).rejects.toThrow(
      "--steps-per-call 4 cannot train --method cutmix: one scanned program mixes with one λ per step, and CutMix's box needs a step per batch; use --steps-per-call 1",
    );
  });
});

describe("mmx train --steps-per-call", () => {
  const tiny = ["--n-train", "64", "--n-test", "32", "--batch", "16", "--hidden", "8", "--backend", "cpu", "--quiet"];

  it("refuses in one line, exit 2: K not a positive whole number, or a method it cannot scan", async () => {
    const cases: [string[], string][] = [
      [["--steps-per-call", "0"], "mmx train: --steps-per-call must be >= 1, got '0'"],
      [["--steps-per-call", "2.5"], "mmx train: --steps-per-call must be a whole number, got '2.5'"],
      [["--steps-per-call", "x"], "mmx train: --steps-per-call must be a whole number, got 'x'"],
      [["--method", "cutmix", "--steps-per-call", "8"], "mmx: --steps-per-call 8 cannot train --method cutmix: one scanned program mixes with one λ per step, and CutMix's box needs a step per batch; use --steps-per-call 1"],
      [["--method", "patchup", "--steps-per-call", "8"], "mmx: --steps-per-call 8 cannot train --method patchup: one scanned program mixes with one λ per step, and PatchUp's block mask needs a step per batch; use --steps-per-call 1"],
      [["--method", "nfm", "--steps-per-call", "2"], "mmx: --steps-per-call 2 cannot train --method nfm: one scanned program mixes with one λ per step, and Noisy Feature Mixup's noise needs a step per batch; use --steps-per-call 1"],
      [["--method", "manifold", "--ways", "3", "--steps-per-call", "2"], "mmx: --steps-per-call 2 cannot train --method manifold: one scanned program mixes with one λ per step, and 3-way mixing (--ways 3) needs a step per batch; use --steps-per-call 1"],
    ];
    for (const [argv, message] of cases) {
      const r = await run(["train", ...tiny, "--out", join(tempDir(), "run"), ...argv]);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.stderr, argv.join(" ")).toBe(`${message}\n`);
    }
  });

  it("may change on --resume, which keeps the run's own otherwise; config.json records it", async () => {
    const out = join(tempDir(), "run");
    const configOf = () => JSON.parse(readFileSync(runFiles(out).config, "utf8")) as TrainConfig;
    expect((await run(["train", ...tiny, "--epochs", "1", "--out", out])).code).toBe(0);
    expect(configOf().stepsPerCall).toBeUndefined();
    expect((await run(["train", "--resume", "--out", out, "--epochs", "2", "--steps-per-call", "3", "--quiet"])).code).toBe(0);
    expect(configOf().stepsPerCall).toBe(3);
    expect((await run(["train", "--resume", "--out", out, "--epochs", "3", "--quiet"])).code).toBe(0);
    expect(configOf().stepsPerCall).toBe(3);
    expect((await run(["train", "--resume", "--out", out, "--epochs", "4", "--steps-per-call", "1", "--quiet"])).code).toBe(0);
    expect(configOf()).not.toHaveProperty("stepsPerCall");
    expect(readCheckpointInfo(runFiles(out).checkpoint)).toMatchObject({ epoch: 4, step: 16 });
  }, 60_000);

  it("refuses --resume of a run whose method it cannot scan, before training", async () => {
    const out = join(tempDir(), "run");
    expect((await run(["train", ...tiny, "--method", "nfm", "--epochs", "1", "--out", out])).code).toBe(0);
    const r = await run(["train", "--resume", "--out", out, "--epochs", "2", "--steps-per-call", "4", "--quiet"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mmx: --steps-per-call 4 cannot train --method nfm: .*\n$/);
    expect(readCheckpointInfo(runFiles(out).checkpoint).epoch).toBe(1);
  }, 60_000);

  it("--help states it, its default and what it is for", async () => {
    const r = await run(["train", "--help"]);
    expect(r.stdout).toMatch(/--steps-per-call K +training steps per program call: .*fewer host round trips \(on onnx one runtime call per K steps\).*\(default: 1, one call per step\)/);
  });
});

describe("mmx reproduce --steps-per-call", () => {
  const args = (argv: string[]) => parseArgs(argv, REPRODUCE_OPTIONS, "reproduce");

  it("reaches every compared method's runs, and the summary's command line", () => {
    const plans = withMixFlags(args(["--steps-per-call", "4"]), PAPER_METHODS);
    expect(plans.map((p) => p.options?.stepsPerCall)).toEqual([4, 4, 4]);
    expect(mixFlagsText(plans)).toBe(" --steps-per-call 4");
    const plan = findPreset("standard", "tiny").plans[0]!;
    expect(plans.map((m) => runConfig(plan, m, 0, "cpu").stepsPerCall)).toEqual([4, 4, 4]);
  });

  it("trainSeedRuns (--vmap-seeds) refuses stepsPerCall > 1 before anything trains", async () => {
    const out = join(tempDir(), "seeds");
    await expect(trainSeedRuns([{ ...CONFIG, stepsPerCall: 4 }], { outs: [out], data: await loadData(CONFIG) })).rejects.toThrow("trainSeedRuns: stepsPerCall 4: the seeds train one vmapped step per call; train them with stepsPerCall 1, or one run at a time");
  });

  it("its timing probe gives each step of a call an equal share of the call's time", () => {
    // 2 epochs of 5 steps, 2 per call: calls of 2, 2 and 1 steps; a call's steps report at once.
    const afterStep = [4, 4, 6, 6, 7, 11, 11, 13, 13, 14];
    expect(spreadOverCalls(0, afterStep, 5, 2)).toEqual([2, 4, 5, 6, 7, 9, 11, 12, 13, 14]);
    expect(spreadOverCalls(0, afterStep, 5, 1)).toEqual(afterStep);
    expect(spreadOverCalls(1, [3, 5, 9], 3, 8)).toEqual([3, 6, 9].map((x) => 1 + (x * 8) / 9));
  });

  it("refuses a method it cannot scan, --vmap-seeds, and the map regime, each in one line", async () => {
    const cases: [string[], string][] = [
      [["--methods", "none,cutmix", "--steps-per-call", "4"], "mmx reproduce: --methods cutmix: --steps-per-call 4 cannot train --method cutmix: one scanned program mixes with one λ per step, and CutMix's box needs a step per batch; use --steps-per-call 1"],
      [["--vmap-seeds", "--steps-per-call", "4"], "mmx reproduce: --vmap-seeds runs its seeds' steps one vmapped step per call; --steps-per-call 4 does not apply with it (drop one of the two)"],
      [["--regime", "map", "--steps-per-call", "4"], "mmx reproduce --regime map: --steps-per-call does not apply; the map compares no, input and manifold mixup, each at its defaults (mmx sweep crosses other methods and flags)"],
    ];
    for (const [argv, message] of cases) {
      const r = await run(["reproduce", "--preset", "tiny", "--quiet", "--out", join(tempDir(), "r"), ...argv]);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.stderr, argv.join(" ")).toBe(`${message}\n`);
    }
  });
});

import { join } from "node:path";
import { dispose } from "@mmx/core";
import { describe, expect, it } from "vitest";
import type { TrainConfig } from "./config.js";
import { loadData } from "./datasets.js";
import { spiralsConfig, tempDir } from "./test-helpers.js";
import { train } from "./train.js";
import { trainSeedRuns, vmapSeedsMisfit } from "./train-seeds.js";

/**
 * `trainSeedRuns` (mmx reproduce --vmap-seeds) takes every option of the step that `train` (the sequential path)
 * takes: with the same config and seeds, each seed's per-epoch training losses equal its lone run's. Every run
 * mixes at one eligible layer, so the seeds' shared layer draw is each lone run's own.
 */

const SEEDS = [3, 4];
/** A small MLP on 96 spiral points, batches of 32: three steps an epoch, three epochs, on cpu. */
const small = (changes: Partial<TrainConfig>): TrainConfig =>
  spiralsConfig({ spiralsTrain: 96, spiralsTest: 32, model: "mlp", hidden: [32], batch: 32, epochs: 3, lr: 0.5, schedule: "constant", backend: "cpu", layers: [1], layerNames: ["hidden1"], ...changes });

async function lossesBothWays(config: TrainConfig): Promise<{ together: number[][]; apart: number[][] }> {
  const data = await loadData(config);
  const configs = SEEDS.map((seed) => ({ ...config, seed }));
  const dir = tempDir("mmx-seeds-");
  const results = await trainSeedRuns(configs, { outs: configs.map((c) => join(dir, `together-s${c.seed}`)), data });
  const together = results.map((r) => r.metrics.map((m) => m.trainLoss));
  dispose(results.flatMap((r) => [r.params, r.modelState]));
  const apart: number[][] = [];
  for (const c of configs) {
    const r = await train(c, { out: join(dir, `apart-s${c.seed}`), data });
    apart.push(r.metrics.map((m) => m.trainLoss));
    dispose([r.params, r.modelState]);
  }
  return { together, apart };
}

const close = (got: number[][], want: number[][], what: string) =>
  got.forEach((seed, s) => seed.forEach((l, e) => expect(Math.abs(l - want[s]![e]!), `${what}: seed ${SEEDS[s]} epoch ${e + 1}: ${l} vs ${want[s]![e]}`).toBeLessThan(1e-5)));

describe("trainSeedRuns takes the step options train takes", () => {
  const cases: [string, Partial<TrainConfig>][] = [
    ["λ per example, max(λ, 1 − λ), no self-pairs, label smoothing", { lambdaMode: "elem", lambdaMax: true, selfPairs: false, labelSmoothing: 0.1 }],
    ["n-way Dirichlet mixing (ways 3), half the batch mixed", { ways: 3, lambdaMode: "half" }],
    ["a cosine α schedule and an off epoch", { method: "input", alpha: 1, layers: [0], layerNames: ["input"], alphaSchedule: "cosine", offEpoch: 2 }],
    ["RegMixup's clean loss with weight 0.5, λ per pair", { method: "regmixup", alpha: 10, layers: [0], layerNames: ["input"], regMixupWeight: 0.5, lambdaMode: "pair" }],
    ["the placement options (clean batch statistics, the tagged value alone)", { bn: "clean", at: "tag" }],
  ];
  it.each(cases)("%s: each seed's losses equal its lone run's, and differ from the defaults'", async (_, options) => {
    const { together, apart } = await lossesBothWays(small(options));
    close(together, apart, "vmapped vs sequential");
    for (const seed of together) for (const l of seed) expect(Number.isFinite(l)).toBe(true);
    // The options change the run (placement aside: this net has no batch statistic and no value beside the tag).
    if (options.bn) return;
    const plain = await lossesBothWays(small(options.method ? { method: options.method, alpha: options.alpha!, layers: options.layers!, layerNames: options.layerNames! } : {}));
    const apartFromPlain = together.flat().map((l, i) => Math.abs(l - plain.together.flat()[i]!));
    expect(Math.max(...apartFromPlain)).toBeGreaterThan(1e-4);
  }, 60_000);

  it("evaluates every N epochs and after the last, as train does: the same metrics, NaN between", async () => {
    const config = small({ method: "input", alpha: 1, layers: [0], layerNames: ["input"] });
    const data = await loadData(config);
    const dir = tempDir("mmx-seeds-");
    const [together] = await trainSeedRuns([config], { outs: [join(dir, "together")], data, evalEvery: 2 });
    const apart = await train(config, { out: join(dir, "apart"), data, evalEvery: 2 });
    expect(together!.metrics.map((m) => Number.isNaN(m.testNll))).toEqual([true, false, false]);
    together!.metrics.forEach((m, e) => {
      const ref = apart.metrics[e]!;
      for (const k of ["trainLoss", "testNll", "testError"] as const) expect(Number.isNaN(ref[k]) ? Number.isNaN(m[k]) : Math.abs(m[k] - ref[k]) < 1e-5, `epoch ${e + 1} ${k}: ${m[k]} vs ${ref[k]}`).toBe(true);
    });
    dispose([together!.params, together!.modelState, apart.params, apart.modelState]);
  }, 60_000);

  it("refuses a method whose draws take a layer's shape, naming it", () => {
    expect(vmapSeedsMisfit(small({ method: "nfm", alpha: 1 }))).toBe("Noisy Feature Mixup adds noise to the mixed features in the shape of each seed's own layer, which seeds trained as one program cannot share");
    expect(vmapSeedsMisfit(small({ ways: 3 }))).toBeUndefined();
    const config = small({ method: "nfm", alpha: 1, noiseAdd: 0.1 });
    return expect(trainSeedRuns([config, { ...config, seed: 9 }], { outs: [join(tempDir(), "a"), join(tempDir(), "b")], data: undefined as never })).rejects.toThrow(
      /^trainSeedRuns: method 'nfm': Noisy Feature Mixup adds noise to the mixed features in the shape of each seed's own layer, which seeds trained as one program cannot share; train its seeds one run at a time$/,
    );
  });
});

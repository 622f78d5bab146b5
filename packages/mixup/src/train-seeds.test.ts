import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describePlan, dispose, EXECUTOR_ONLY_BACKENDS, np, planBackends, setBackend } from "@mmx/core";
import { bceSoftmax } from "@mmx/losses";
import * as nn from "@mmx/nn";
import { sgd } from "@mmx/optim";
import { key } from "@mmx/random";
import { manifoldMixup, trainSeeds } from "./index.js";
import { batchOf, checkSeedsAgainstLoneRuns, SEEDS, SEEDS_CASES, SEEDS_OPTION_CASES, seedsProgram, SMALL_CNN_CASE } from "./testing-only/seeds-vs-lone.js";

/**
 * S seeds trained by one vmapped program equal S lone trainStep runs given the same keys, where each lone
 * run mixes at the layer seed 0 drew (the one draw the seeds share): MLPs and a batch-norm model, per-batch
 * and per-example λ, per-seed and shared batches, on every backend under test (onnx: its package's suite).
 */

const plan = await planBackends(undefined, { exclude: { ...EXECUTOR_ONLY_BACKENDS, webgpu: "the comparison reads values synchronously, which tfjs-webgpu cannot do in Node" } });
if (!process.env["MMX_PLAN_FILE"]) console.log(describePlan(plan));

afterAll(async () => {
  await setBackend("cpu");
});

for (const backend of plan.run) {
  describe(`${backend}: trainSeeds`, () => {
    beforeAll(async () => {
      await setBackend(backend);
    });

    for (const c of [...SEEDS_CASES, SMALL_CNN_CASE]) {
      it(`equals ${SEEDS} lone trainStep runs: ${c.name}`, () => checkSeedsAgainstLoneRuns(c));
    }
  });
}

describe("trainSeeds with the options of the mixup algebra it takes (cpu)", () => {
  beforeAll(async () => {
    await setBackend("cpu");
  });
  for (const c of SEEDS_OPTION_CASES) {
    it(`equals ${SEEDS} lone trainStep runs given the same options: ${c.name}`, () => checkSeedsAgainstLoneRuns(c));
  }
});

describe("trainSeeds of a CNN: each convolution is one grouped convolution over the seeds", () => {
  beforeAll(async () => {
    await setBackend("cpu");
  });
  it(`nn.smallCnn's ${SEEDS} seeds: one conv per layer and one per gradient, each with ${SEEDS} groups`, () => {
    const convs = seedsProgram(SMALL_CNN_CASE).jaxpr.eqns.filter((e) => e.primitive.startsWith("conv"));
    const count = (p: string) => convs.filter((e) => e.primitive === p).length;
    // Two layers: their forward convs and filter gradients, and block2's input gradient (block1's input is data).
    expect([count("conv"), count("conv_filter_grad"), count("conv_transpose")]).toEqual([2, 2, 1]);
    expect(convs.map((e) => (e.params as { groups: number }).groups)).toEqual(convs.map(() => SEEDS));
  });
});

describe("trainSeeds: bad input", () => {
  beforeAll(async () => {
    await setBackend("cpu");
  });
  it("names the culprit in one line", () => {
    const model = nn.mlp([4, 3]);
    const optimizer = sgd({ lr: 0.1 });
    expect(() => trainSeeds({ model, loss: bceSoftmax, optimizer, seeds: 0 })).toThrow(/trainSeeds: seeds must be a positive integer, got 0/);
    const noisy = manifoldMixup({ alpha: 1, layers: [0, 1], noise: { add: 0.1 } });
    expect(() => trainSeeds({ model, loss: bceSoftmax, optimizer, seeds: 2, policy: noisy })).toThrow(/^trainSeeds: the policy's noise draws masks or noise per boundary shape/);
    const scheduled = trainSeeds({ model, loss: bceSoftmax, optimizer, seeds: 2, policy: manifoldMixup({ alpha: 1, layers: [0], offEpoch: 3 }) });
    const step = trainSeeds({ model, loss: bceSoftmax, optimizer, seeds: 2 });
    const p = model.init(key(0), [-1, 4]).params;
    expect(() => step.init([p])).toThrow(/trainSeeds.init: params lists 1 entries for 2 seeds/);
    const state = step.init([p, p]);
    const { x, y } = batchOf(0, 4);
    expect(() => step(state, x, y, [key(0), key(1)])).toThrow(/trainSeeds: x has 4 seeds on its first axis \(f32\[4,4\]\), the step trains 2; pass sharedBatch: true/);
    const xs = np.stack([x, x]);
    const ys = np.stack([y, y]);
    expect(() => step(state, xs, ys, [key(0)])).toThrow(/trainSeeds: keys must list one key per seed \(2\), got 1/);
    const bad = np.stack([y, np.array([0, 1, 2, 3], { dtype: "int32" })]);
    expect(() => step(state, xs, bad, [key(0), key(1)])).toThrow(/trainSeeds: label 3/);
    expect(() => scheduled(state, xs, ys, [key(0), key(1)])).toThrow(/^trainSeeds: the policy's offEpoch needs the progress: call step\(state, x, y, keys, \{ epoch, step \}\)$/);
    expect(() => step.seed(state, 2)).toThrow(/trainSeeds.seed: seed index 2 is not in \[0, 2\)/);
    dispose([p, state.params, state.opt, x, y, xs, ys, bad]);
  });
});

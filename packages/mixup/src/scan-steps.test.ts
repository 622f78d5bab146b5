import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describePlan, dispose, EXECUTOR_ONLY_BACKENDS, np, planBackends, setBackend, tree } from "@mmx/core";
import { bceSoftmax } from "@mmx/losses";
import * as nn from "@mmx/nn";
import { sgd } from "@mmx/optim";
import { foldIn, key } from "@mmx/random";
import { manifoldMixup, trainStep } from "./index.js";
import { checkScanAgainstLoop, SCAN_CASES, SCAN_CNN_CASE, SCAN_OPTION_CASES, SCAN_RESNET_CASE, stackedBatches } from "./testing-only/scan-vs-loop.js";

/**
 * `step.scan` over T stacked batches takes the steps T `step` calls take with the same keys, the layer changing
 * inside the loop: on every backend under test (onnx: its package's suite), and its options on cpu.
 */

const plan = await planBackends(undefined, { exclude: { ...EXECUTOR_ONLY_BACKENDS, webgpu: "the comparison reads values synchronously, which tfjs-webgpu cannot do in Node" } });
if (!process.env["MMX_PLAN_FILE"]) console.log(describePlan(plan));

afterAll(async () => {
  await setBackend("cpu");
});

for (const backend of plan.run) {
  describe(`${backend}: step.scan`, () => {
    beforeAll(async () => {
      await setBackend(backend);
    });
    for (const c of SCAN_CASES) it(`equals the loop of steps: ${c.name}`, () => checkScanAgainstLoop(c));
  });
}

describe("step.scan (cpu)", () => {
  beforeAll(async () => {
    await setBackend("cpu");
  });
  for (const c of [...SCAN_OPTION_CASES, SCAN_CNN_CASE, SCAN_RESNET_CASE]) it(`equals the loop of steps: ${c.name}`, () => checkScanAgainstLoop(c));

  const model = nn.mlp([4, 8, 3]);
  const make = (policy = manifoldMixup({ alpha: 2, layers: model.mixupLayers }), donate = false) => trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1 }), policy, donate });
  const keys = (n: number) => Array.from({ length: n }, (_, t) => foldIn(key(1), t));

  it("refuses what one λ per step cannot express, and malformed inputs, in one line each", () => {
    const { xs, ys } = stackedBatches(3, [4]);
    const step = make();
    const state = step.init(model.init(key(0), [-1, 4]).params);
    const cutmix = make(manifoldMixup({ alpha: 1, layers: [0], cutmix: { switchProb: 0.5 } }));
    expect(() => cutmix.scan(state, xs, ys, keys(3))).toThrow(/^trainStep: step\.scan mixes with one λ per step .*CutMix's box needs step\(\) per batch$/);
    const threeWay = make(manifoldMixup({ alpha: 1, layers: [0], ways: 3 }));
    expect(() => threeWay.scan(state, xs, ys, keys(3))).toThrow(/3-way mixing needs step\(\)/);
    expect(() => step.scan(state, xs, ys, keys(2))).toThrow("trainStep: step.scan takes one key per step: 3 steps (xs f32[3,6,4]), got 2 keys");
    const flat = np.reshape(xs, [72]);
    expect(() => step.scan(state, flat, ys, keys(3))).toThrow("trainStep: step.scan's xs must be the stacked batches [T, B, ...] (an mmx Array), got f32[72]");
    const wrongLabels = np.reshape(ys, [18]);
    expect(() => step.scan(state, xs, wrongLabels, keys(3))).toThrow(/ys must be int32 labels \[3, 6\] or target rows \[3, 6, C\]/);
    const outOfRange = np.add(ys, 5);
    expect(() => step.scan(state, xs, outOfRange, keys(3))).toThrow(/trainStep: step\.scan.*label/);
    const scheduled = make(manifoldMixup({ alpha: 1, layers: [0], offEpoch: 2 }));
    expect(() => scheduled.scan(state, xs, ys, keys(3))).toThrow(/offEpoch needs the progress: call step\.scan\(state, xs, ys, keys, at\) with the first step's \{ epoch, step \} or one per step$/);
    dispose([xs, ys, flat, wrongLabels, outOfRange, state.params, state.opt]);
  });

  it("donates the state passed to it where asked (scan and scanAsync), never what init was given", async () => {
    const { xs, ys } = stackedBatches(4, [4]);
    const step = make(undefined, true);
    const params = model.init(key(0), [-1, 4]).params;
    const first = step.scan(step.init(params), xs, ys, keys(4));
    const second = await step.scanAsync(first.state, xs, ys, keys(4).map((k) => foldIn(k, 9)));
    expect(tree.leaves(first.state.params).every((a) => (a as { disposed?: boolean }).disposed ?? true)).toBe(true);
    expect(() => (tree.leaves(first.state.opt)[0] as { dataSync(): unknown }).dataSync()).toThrow(/donated to trainStep/);
    expect(tree.leaves(params).every((a) => Number.isFinite((a as { item?: unknown; dataSync(): Float32Array }).dataSync()[0]))).toBe(true);
    expect(Array.from(second.losses.dataSync()).every(Number.isFinite)).toBe(true);
    dispose([first.losses, second.losses, second.state.params, second.state.opt, xs, ys, params]);
  });
});

import { describe, expect, it } from "vitest";
import { dispose, memory, np, tidy, tree, type Array } from "@mmx/core";
import { bceSoftmax, smoothLabels, softCrossEntropy } from "@mmx/losses";
import * as nn from "@mmx/nn";
import { sgd } from "@mmx/optim";
import { foldIn, key } from "@mmx/random";
import { inputMixup, LAMBDA_MODES, manifoldMixup, mixup, trainStep, type MixupPolicy } from "./index.js";

/** A conv model on 6×6×2 images: boundaries input [B,6,6,2] and "c" [B,6,6,4] are spatial. */
const convModel = () => nn.sequential({ c: nn.conv2d(4, 3, { padding: 1, inChannels: 2 }), act: nn.relu, f: nn.flatten, out: nn.dense(6 * 6 * 4, 3) });
const images = (batch: number, seed = 0) => ({
  x: np.array(Float32Array.from({ length: batch * 72 }, (_, i) => Math.sin(i * 0.37 + seed)), { shape: [batch, 6, 6, 2] }),
  y: np.array(Int32Array.from({ length: batch }, (_, i) => (i + seed) % 3), { dtype: "int32" }),
});
const copy = (t: nn.ParamTree) => tree.map((a) => np.add(a, 0), t);

describe("trainStep with every mixing kind", () => {
  it("one program per (boundary, kind) used, however many steps: masks, λ and noise are program inputs", () => {
    const model = convModel();
    const policy = manifoldMixup({ alpha: 1, layers: [0, "c"], cutmix: { alpha: 1 }, noise: { add: 0.05, mult: 0.05 } });
    const step = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.05 }), policy, donate: true });
    const { x, y } = images(6);
    let state = step.init(model.init(key(0), [-1, 6, 6, 2]).params);
    const used = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const r = step(state, x, y, foldIn(key(1), i));
      used.add(`${r.layer}|${r.kind}`);
      expect(Number.isFinite(r.loss.item())).toBe(true);
      r.loss.dispose();
      state = r.state;
    }
    expect(used).toEqual(new Set(["0|lerp", "c|lerp", "0|mask"]));
    expect(step.programs).toBe(used.size);
    // Steps after every program exists hold the tensor count flat: the draws' arrays are freed, each old state donated.
    const before = memory().numTensors;
    for (let i = 30; i < 50; i++) {
      const r = step(state, x, y, foldIn(key(1), i));
      r.loss.dispose();
      state = r.state;
    }
    expect(memory().numTensors).toBe(before);
    expect(step.programs).toBe(3);
    dispose([state.params, state.opt, x, y]);
  });

  it("each kind's step equals the same loss written by hand with the policy's draw", () => {
    const model = convModel();
    const policies: [string, MixupPolicy][] = [
      ["cutmix", inputMixup({ alpha: 0, cutmix: { alpha: 1 }, lambdaMode: "elem" })],
      ["patchup", manifoldMixup({ alpha: 0, layers: ["c"], patchup: { gamma: 0.4, blockSize: 2 } })],
      ["dirichlet", manifoldMixup({ alpha: 0.7, layers: ["c"], ways: 3, lambdaMode: "elem" })],
      ["pair + nfm", manifoldMixup({ alpha: 1, layers: ["c"], lambdaMode: "pair", noise: { add: 0.1, mult: 0.2 } })],
      ["half, no self-pairs", inputMixup({ alpha: 1, lambdaMode: "half", selfPairs: false })],
    ];
    for (const [name, policy] of policies) {
      tidy(() => {
        const { x, y } = images(5, 2);
        const { params } = model.init(key(3), [-1, 6, 6, 2]);
        const k = key(11);
        const f = (p: nn.ParamTree, xs: Array) => model.apply(p, xs, { train: true }).out;
        const draw = policy.sample(k, mixup.boundaries(f, params, x));
        const { out, targets } = mixup(draw.layer, draw.mixing)(f)(params, x, y, draw.perm);
        const expected = bceSoftmax(out, targets).item();
        const step = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1 }), policy });
        const r = step(step.init(copy(params)), x, y, k);
        expect(r.layer, name).toBe(draw.layer);
        expect(r.kind, name).toBe(draw.mixing.kind);
        expect(r.loss.item(), name).toBeCloseTo(expected, 5);
      });
    }
  });

  it("every λ mode trains on batches of 1, 2, 3 and 5 and on a short last batch", () => {
    const model = nn.mlp([4, 8, 3]);
    for (const lambdaMode of LAMBDA_MODES) {
      for (const ways of lambdaMode === "pair" ? [2] : [2, 3]) {
        const step = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1 }), policy: manifoldMixup({ alpha: 1, layers: model.paperBoundaries, lambdaMode, ways, selfPairs: false }), donate: true });
        let state = step.init(model.init(key(0), [-1, 4]).params);
        for (const [i, batch] of [1, 2, 3, 5, 8, 3].entries()) {
          const x = np.array(Float32Array.from({ length: batch * 4 }, (_, j) => Math.cos(j + i)), { shape: [batch, 4] });
          const y = np.array(Int32Array.from({ length: batch }, (_, j) => j % 3), { dtype: "int32" });
          const r = step(state, x, y, foldIn(key(4), i));
          expect(Number.isFinite(r.loss.item()), `${lambdaMode} ways ${ways} batch ${batch}`).toBe(true);
          dispose([r.loss, x, y]);
          state = r.state;
        }
        dispose([state.params, state.opt]);
      }
    }
  });
});

describe("trainStep options: RegMixup, label smoothing, the off epoch", () => {
  it("RegMixup's loss is loss(clean) + weight·loss(mixed), in one step", () =>
    tidy(() => {
      const model = nn.mlp([4, 8, 3]);
      const policy = inputMixup({ alpha: 20 });
      const x = np.array(Float32Array.from({ length: 24 }, (_, i) => Math.sin(i)), { shape: [6, 4] });
      const y = np.array([0, 1, 2, 0, 1, 2], { dtype: "int32" });
      const { params } = model.init(key(5), [-1, 4]);
      const f = (p: nn.ParamTree, xs: Array) => model.apply(p, xs, { train: true }).out;
      const draw = policy.sample(key(6), 6);
      const mixed = mixup(draw.layer, draw.mixing)(f)(params, x, y, draw.perm);
      const expected = softCrossEntropy(f(params, x), y).item() + 0.5 * softCrossEntropy(mixed.out, mixed.targets).item();
      const step = trainStep({ model, loss: softCrossEntropy, optimizer: sgd({ lr: 0.1 }), policy, regMixup: { weight: 0.5 } });
      expect(step(step.init(copy(params)), x, y, key(6)).loss.item()).toBeCloseTo(expected, 5);
      expect(() => trainStep({ model, loss: softCrossEntropy, optimizer: sgd({ lr: 0.1 }), regMixup: { weight: -1 } })).toThrow("trainStep: regMixup.weight must be a finite number >= 0, got -1");
    }));

  it("label smoothing applies to clean and mixed targets", () =>
    tidy(() => {
      const model = nn.mlp([4, 8, 3]);
      const x = np.array(Float32Array.from({ length: 24 }, (_, i) => Math.cos(i)), { shape: [6, 4] });
      const y = np.array([0, 1, 2, 0, 1, 2], { dtype: "int32" });
      const { params } = model.init(key(5), [-1, 4]);
      const f = (p: nn.ParamTree, xs: Array) => model.apply(p, xs, { train: true }).out;
      const clean = trainStep({ model, loss: softCrossEntropy, optimizer: sgd({ lr: 0.1 }), labelSmoothing: 0.1 });
      const expected = softCrossEntropy(f(params, x), smoothLabels(np.oneHot(y, 3), 0.1)).item();
      expect(clean(clean.init(copy(params)), x, y, key(0)).loss.item()).toBeCloseTo(expected, 5);
      const policy = inputMixup({ alpha: 1 });
      const draw = policy.sample(key(2), 6);
      const m = mixup(0, draw.mixing, { labelSmoothing: 0.1 })(f)(params, x, y, draw.perm);
      const mixedStep = trainStep({ model, loss: softCrossEntropy, optimizer: sgd({ lr: 0.1 }), policy, labelSmoothing: 0.1 });
      expect(mixedStep(mixedStep.init(copy(params)), x, y, key(2)).loss.item()).toBeCloseTo(softCrossEntropy(m.out, m.targets).item(), 5);
    }));

  it("offEpoch and α schedules: the step trains clean where the policy is off, and asks for the progress", () => {
    const model = nn.mlp([4, 8, 3]);
    const step = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1 }), policy: manifoldMixup({ alpha: 1, layers: model.paperBoundaries, offEpoch: 2, alphaSchedule: ({ epoch }) => epoch }), donate: true });
    const x = np.array(Float32Array.from({ length: 16 }, (_, i) => Math.sin(i)), { shape: [4, 4] });
    const y = np.array([0, 1, 2, 0], { dtype: "int32" });
    let state = step.init(model.init(key(0), [-1, 4]).params);
    const seen: (string | number | null)[] = [];
    for (const epoch of [0, 1, 2, 3]) {
      const r = step(state, x, y, foldIn(key(1), epoch), { epoch, step: epoch * 10 });
      seen.push(r.kind);
      r.loss.dispose();
      state = r.state;
    }
    // epoch 0: α = 0 (clean); epoch 1: α = 1 (mixed); from epoch 2 on: off.
    expect(seen).toEqual([null, "lerp", null, null]);
    expect(() => step(state, x, y, key(0))).toThrow("trainStep: the policy's alphaSchedule needs the progress: call step(state, x, y, key, { epoch, step })");
    dispose([state.params, state.opt, x, y]);
  });
});

import { describe, expect, it } from "vitest";
import { dispose, memory, np, tidy, tree, valueAndGrad, type Array } from "@mmx/core";
import { bceSoftmax } from "@mmx/losses";
import * as nn from "@mmx/nn";
import { applyUpdates, sgd } from "@mmx/optim";
import { foldIn, key } from "@mmx/random";
import { assertAllClose } from "@mmx/testing";
import { inputMixup, manifoldMixup, mixup, trainStep } from "./index.js";

/** Two well-separated Gaussian-ish blobs in 4-D, labels 0/1/2 by blob. */
function blobs(n: number) {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    for (let j = 0; j < 4; j++) xs.push((j === c ? 2 : 0) + Math.sin(i * 7.1 + j * 3.3) * 0.5);
    ys.push(c);
  }
  return { x: np.array(xs, { shape: [n, 4] }), y: np.array(ys, { dtype: "int32" }) };
}

describe("trainStep", () => {
  it("trains with manifold mixup: the loss falls, one program per eligible layer", () => {
    const model = nn.mlp([4, 16, 16, 3]);
    const step = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.5, momentum: 0.9 }), policy: manifoldMixup({ alpha: 2, layers: model.paperBoundaries }), donate: true });
    const { x, y } = blobs(24);
    let state = step.init(model.init(key(0), [-1, 4]).params);
    const losses: number[] = [];
    for (let i = 0; i < 60; i++) {
      const r = step(state, x, y, foldIn(key(1), i));
      losses.push(r.loss.item());
      r.loss.dispose();
      state = r.state;
    }
    const early = losses.slice(0, 10).reduce((a, b) => a + b) / 10;
    const late = losses.slice(-10).reduce((a, b) => a + b) / 10;
    expect(late).toBeLessThan(early * 0.7);
    expect(step.programs).toBeLessThanOrEqual(model.paperBoundaries.length);
    expect(step.programs).toBeGreaterThan(1);
    dispose([state.params, state.opt, x, y]);
  });

  it("callAsync takes the same steps as the plain call, and donates where asked", async () => {
    const model = nn.mlp([4, 8, 3]);
    const make = (donate: boolean) => trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.3, momentum: 0.9 }), policy: manifoldMixup({ alpha: 2, layers: model.paperBoundaries }), donate });
    const [plain, awaited] = [make(false), make(true)];
    const { x, y } = blobs(12);
    const params = model.init(key(4), [-1, 4]).params;
    let a = plain.init(tree.map((p: Array) => np.add(p, 0), params));
    let b = awaited.init(tree.map((p: Array) => np.add(p, 0), params));
    const firsts: (typeof a)[] = [];
    for (let i = 0; i < 3; i++) {
      const ra = plain(a, x, y, foldIn(key(5), i));
      const rb = await awaited.callAsync(b, x, y, foldIn(key(5), i));
      expect(rb.layer).toEqual(ra.layer);
      expect(rb.loss.item()).toBeCloseTo(ra.loss.item(), 6);
      dispose([ra.loss, rb.loss]);
      [a, b] = [ra.state, rb.state];
      if (i === 0) firsts.push(a, b);
    }
    const [leavesA, leavesB] = [tree.leaves(a.params) as Array[], tree.leaves(b.params) as Array[]];
    // The first step's states: the donating step's was freed by the next step, the other one still trains.
    await expect(awaited.callAsync(firsts[1]!, x, y, key(6))).rejects.toThrow(/was donated to trainStep/);
    expect(Number.isFinite(plain(firsts[0]!, x, y, key(6)).loss.item())).toBe(true);
    leavesA.forEach((leaf, i) => assertAllClose(leavesB[i]!.dataSync(), leaf.dataSync(), { rtol: 1e-6, atol: 1e-7 }));
    dispose([a.params, a.opt, b.params, b.opt, params, x, y]);
  });

  it("equals the same step written out by hand: mixup, valueAndGrad, optimizer update", () => {
    tidy(() => {
      const model = nn.mlp([4, 8, 3]);
      const policy = inputMixup({ alpha: 1 });
      const optimizer = sgd({ lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-4 });
      const { x, y } = blobs(6);
      const params = model.init(key(3), [-1, 4]).params;
      const k = key(7);
      // By hand, eagerly.
      const draw = policy.sample(k, 6);
      const f = (p: nn.ParamTree, xs: Array) => model.apply(p, xs, { train: true }).out;
      const [, grads] = valueAndGrad((p: nn.ParamTree) => {
        const { out, targets } = mixup(draw.layer, draw.lambda)(f)(p, x, y, draw.perm);
        return bceSoftmax(out, targets);
      })(params);
      const expected = applyUpdates(params, optimizer.update(grads, optimizer.init(params), params).updates);
      // With trainStep.
      const step = trainStep({ model, loss: bceSoftmax, optimizer, policy });
      const got = step(step.init(params), x, y, k).state.params;
      const [e, def] = tree.flatten(expected);
      const [g] = tree.flatten(got);
      tree.leafPaths(def).forEach((path, i) => assertAllClose((g[i] as Array).dataSync(), (e[i] as Array).dataSync(), { rtol: 1e-5, atol: 1e-6, what: path }));
    });
  });

  it("threads batch-norm statistics through the step", () => {
    const model = nn.sequential({ fc: nn.dense(4, 8), bn: nn.batchNorm(), act: nn.relu, out: nn.dense(8, 3) });
    const init = model.init(key(0), [-1, 4]);
    const step = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1 }), policy: manifoldMixup({ alpha: 2, layers: [0, "fc", "bn"] }) });
    const { x, y } = blobs(12);
    const before = Array_from((init.state as { bn: { runningMean: Array } }).bn.runningMean);
    const r = step(step.init(init.params, init.state), x, y, key(5));
    const after = Array_from((r.state.modelState as { bn: { runningMean: Array } }).bn.runningMean);
    expect(before.every((v) => v === 0)).toBe(true);
    expect(after.some((v) => v !== 0)).toBe(true);
    dispose([r.state.params, r.state.opt, r.state.modelState, r.loss, x, y]);
  });

  it("with donate: true keeps the tensor count flat over many steps of a loop that never yields", () => {
    const model = nn.mlp([4, 8, 3]);
    const step = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1, momentum: 0.9 }), policy: manifoldMixup({ alpha: 2, layers: model.paperBoundaries }), donate: true });
    const { x, y } = blobs(6);
    let state = step.init(model.init(key(0), [-1, 4]).params);
    const run = (n: number, from: number) => {
      for (let i = 0; i < n; i++) {
        const r = step(state, x, y, foldIn(key(2), from + i));
        r.loss.dispose();
        state = r.state;
      }
    };
    run(20, 0); // compiles every program
    const before = memory().numTensors;
    run(200, 20);
    expect(memory().numTensors).toBe(before);
    dispose([state.params, state.opt, x, y]);
  });

  it("lower and profile show the program a step runs, leaving the state usable and no tensor behind", () => {
    const model = nn.mlp([4, 8, 3]);
    const step = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1, momentum: 0.9 }), policy: manifoldMixup({ alpha: 2, layers: [1] }) });
    const { x, y } = blobs(6);
    const state = step.init(model.init(key(0), [-1, 4]).params);
    const closed = step.lower(state, x, y, key(4));
    expect(closed.jaxpr.eqns.some((e) => e.primitive === "matmul")).toBe(true);
    expect(step.profile(state, x, y, key(4)).length).toBeGreaterThan(0);
    // Once the program and its constants exist, neither leaves a tensor behind.
    const before = memory().numTensors;
    step.lower(state, x, y, key(5));
    step.profile(state, x, y, key(5));
    expect(memory().numTensors).toBe(before);
    const r = step(state, x, y, key(4));
    expect(r.layer).toBe(1);
    expect(Number.isFinite(r.loss.item())).toBe(true);
    dispose([r.state.params, r.state.opt, r.loss, x, y]);
  });

  it("without a policy (or with α <= 0) trains on the clean batch", () => {
    const model = nn.mlp([4, 8, 3]);
    const plain = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1 }) });
    const off = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1 }), policy: manifoldMixup({ alpha: 0, layers: [0, 1] }) });
    const { x, y } = blobs(6);
    const params = model.init(key(0), [-1, 4]).params;
    const copy = tree.map((a: Array) => np.add(a, 0), params);
    const a = plain(plain.init(params), x, y, key(1));
    const b = off(off.init(copy), x, y, key(1));
    expect(a.layer).toBeNull();
    expect(b.layer).toBeNull();
    expect(a.loss.item()).toBe(b.loss.item());
    dispose([a.state.params, a.state.opt, b.state.params, b.state.opt, a.loss, b.loss, x, y]);
  });
});

function Array_from(a: Array): number[] {
  return globalThis.Array.from(a.dataSync());
}

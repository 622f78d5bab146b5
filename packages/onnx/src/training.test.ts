import { afterAll, describe, expect, it } from "vitest";
import { dispose, grad, jit, lax, memory, np, setBackend, tree, type Array } from "@mmx/core";
import { bceSoftmax } from "@mmx/losses";
import { manifoldMixup, trainStep } from "@mmx/mixup";
import * as nn from "@mmx/nn";
import { sgd } from "@mmx/optim";
import { foldIn, key } from "@mmx/random";
import { expectAllClose } from "../../core/src/test-util/close.js";
import "./index.js";

/**
 * Whole training steps on onnx against the same jitted steps on tfjs's cpu backend: each step is
 * one onnxruntime session run (forward, backward with every fusion, optimizer update).
 */

function batch(shape: readonly number[], classes: number, seed: number) {
  let s = seed;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  const n = shape.reduce((a, b) => a * b, 1);
  return {
    x: np.array(Float32Array.from({ length: n }, rand), { shape }),
    y: np.array(Int32Array.from({ length: shape[0]! }, (_, i) => (i * 7 + seed) % classes), { dtype: "int32" }),
  };
}

const flat = (t: unknown) => tree.leaves(t).map((a) => globalThis.Array.from((a as Array).dataSync()));

/** Runs `steps` steps of a model with trainStep on one backend; returns the final params, model state and losses. */
async function train(backend: string, make: () => nn.Model, inputShape: number[], steps: number, mixup: boolean) {
  await setBackend(backend);
  const model = make();
  const policy = mixup ? manifoldMixup({ alpha: 2, layers: model.paperBoundaries }) : undefined;
  const step = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.05, momentum: 0.9, nesterov: true }), ...(policy ? { policy } : {}), donate: true });
  const init = model.init(key(0), [-1, ...inputShape.slice(1)]);
  let state = step.init(init.params, init.state);
  const { x, y } = batch(inputShape, 10, 3);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const r = step(state, x, y, foldIn(key(1), i));
    losses.push(r.loss.item());
    r.loss.dispose();
    state = r.state;
  }
  const out = { params: flat(state.params), modelState: flat(state.modelState), losses, programs: step.programs };
  dispose([state.params, state.opt, state.modelState, x, y]);
  return out;
}

async function compareOnBoth(make: () => nn.Model, inputShape: number[], steps: number, mixup: boolean, tol: { rtol: number; atol: number }) {
  const ref = await train("cpu", make, inputShape, steps, mixup);
  const got = await train("onnx", make, inputShape, steps, mixup);
  expectAllClose(got.losses, ref.losses, { ...tol, what: "losses" });
  ref.params.forEach((p, i) => expectAllClose(got.params[i]!, p, { ...tol, what: `parameter leaf ${i}` }));
  ref.modelState.forEach((p, i) => expectAllClose(got.modelState[i]!, p, { ...tol, what: `model state leaf ${i}` }));
  return { ref, got };
}

afterAll(async () => {
  await setBackend("cpu");
});

describe("training steps on onnx equal those on tfjs (cpu)", () => {
  it("a jitted MLP SGD step written by hand", async () => {
    const sizes = [20, 32, 32, 10];
    const run = async (backend: string) => {
      await setBackend(backend);
      let params = sizes.slice(1).map((n, i) => ({
        w: np.array(Float32Array.from({ length: sizes[i]! * n }, (_, k) => Math.sin(k * 0.7 + i) / Math.sqrt(sizes[i]!)), { shape: [sizes[i]!, n] }),
        b: np.array(Float32Array.from({ length: n }, (_, k) => Math.cos(k + i) * 0.1), { shape: [n] }),
      }));
      const { x, y } = batch([16, 20], 10, 5);
      const loss = (p: typeof params, xs: Array, ys: Array) => {
        let h = xs;
        p.forEach((l, i) => {
          h = np.add(np.matmul(h, l.w), l.b);
          if (i < p.length - 1) h = lax.relu(h);
        });
        return np.mean(np.neg(np.sum(np.mul(np.oneHot(ys, 10), np.logSoftmax(h)), { axis: -1 })));
      };
      const step = jit((p: typeof params, xs: Array, ys: Array) => tree.map((w: Array, g: Array) => np.sub(w, np.mul(g, 0.1)), p, grad(loss)(p, xs, ys)));
      for (let i = 0; i < 5; i++) {
        const next = step(params, x, y);
        dispose(params);
        params = next;
      }
      const out = flat(params);
      dispose([params, x, y]);
      return out;
    };
    const ref = await run("cpu");
    const got = await run("onnx");
    ref.forEach((p, i) => expectAllClose(got[i]!, p, { rtol: 1e-4, atol: 1e-5, what: `parameter leaf ${i}` }));
  });

  it("MLP with trainStep, plain", async () => {
    await compareOnBoth(() => nn.mlp([12, 16, 16, 10]), [8, 12], 6, false, { rtol: 1e-4, atol: 1e-5 });
  });

  it("MLP with trainStep and Manifold Mixup: one program per eligible layer", async () => {
    const { got } = await compareOnBoth(() => nn.mlp([12, 16, 16, 10]), [8, 12], 8, true, { rtol: 1e-4, atol: 1e-5 });
    expect(got.programs).toBeGreaterThan(1);
  });

  it("small CNN (convs, ReLU, max-pool route, dense head), plain and mixed", async () => {
    const cnn = () => nn.sequential({ block1: nn.block({ conv: nn.conv2d(4, 3, { padding: 1, inChannels: 1 }), relu: nn.relu, pool: nn.maxPool(2) }), head: nn.block({ flatten: nn.flatten, out: nn.dense(10) }) }, { inputShape: [-1, 6, 6, 1] });
    const asModel = () => ({ ...cnn(), paperBoundaries: [0, 1] }) as unknown as nn.Model;
    await compareOnBoth(asModel, [4, 6, 6, 1], 4, false, { rtol: 2e-4, atol: 2e-5 });
    await compareOnBoth(asModel, [4, 6, 6, 1], 4, true, { rtol: 2e-4, atol: 2e-5 });
  });

  it("a pre-activation residual block with batch norm (strided conv, 1x1 shortcut, avg pool)", async () => {
    const net = () =>
      ({
        ...nn.sequential({ stem: nn.conv2d(4, 3, { padding: 1, bias: false, inChannels: 2 }), block: nn.preActBlock(4, 8, 2), head: nn.block({ pool: nn.avgPool(2), flatten: nn.flatten, out: nn.dense(10) }) }, { inputShape: [-1, 8, 8, 2] }),
        paperBoundaries: [0, 1, 2],
      }) as unknown as nn.Model;
    await compareOnBoth(net, [4, 8, 8, 2], 3, true, { rtol: 5e-4, atol: 5e-5 });
  });

  it("with donate: true leaves no arrays behind, even without yielding: a step's outputs replace its inputs", async () => {
    await setBackend("onnx");
    const model = nn.mlp([6, 8, 3]);
    const step = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1, momentum: 0.9 }), policy: manifoldMixup({ alpha: 1, layers: model.paperBoundaries }), donate: true });
    let state = step.init(model.init(key(0), [-1, 6]).params);
    const { x, y } = batch([4, 6], 3, 1);
    const run = (i: number) => {
      const r = step(state, x, y, foldIn(key(2), i));
      r.loss.dispose();
      state = r.state;
    };
    for (let i = 0; i < 6; i++) run(i); // compile every program first
    const before = memory().numTensors;
    for (let i = 6; i < 20; i++) run(i);
    expect(memory().numTensors).toBe(before);
    dispose([state.params, state.opt, state.modelState, x, y]);
  });
});

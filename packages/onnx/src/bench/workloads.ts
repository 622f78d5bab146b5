import { dispose, np } from "@mmx/core";
import { bceSoftmax } from "@mmx/losses";
import { manifoldMixup, trainStep } from "@mmx/mixup";
import * as nn from "@mmx/nn";
import { sgd } from "@mmx/optim";
import { foldIn, key } from "@mmx/random";

/**
 * The benchmark workloads, as bench/pytorch_bench.py defines them: one SGD step (lr 0.1, Nesterov
 * momentum 0.9) on BCE over softmax (the official manifold_mixup loss) of a fixed random batch,
 * plain or with Manifold Mixup (α = 2, k uniform over the model's mixing set).
 */
export const WORKLOADS = {
  mlp: { make: () => nn.mlp([784, 512, 512, 10]), input: [784], batch: 128, steps: 50, warmup: 10 },
  cnn: { make: () => nn.smallCnn(), input: [28, 28, 1], batch: 128, steps: 30, warmup: 5 },
  preact18: { make: () => nn.preActResNet18(10), input: [32, 32, 3], batch: 32, steps: 5, warmup: 2 },
} as const;
export type WorkloadName = keyof typeof WORKLOADS;
export type Mode = "plain" | "manifold";

/** A deterministic host batch (no data loading is timed). */
function batchOf(input: readonly number[], batch: number) {
  let s = 12345;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  const size = batch * input.reduce((a, b) => a * b, 1);
  const x = np.array(Float32Array.from({ length: size }, rand), { shape: [batch, ...input] });
  const y = np.array(Int32Array.from({ length: batch }, (_, i) => (i * 7) % 10), { dtype: "int32" });
  return { x, y };
}

/** A training loop on the current backend: `run()` is one step, read back like a loop that logs its loss. */
export function trainingLoop(name: WorkloadName, mode: Mode) {
  const w = WORKLOADS[name];
  const model = w.make();
  const policy = mode === "manifold" ? manifoldMixup({ alpha: 2, layers: model.paperBoundaries }) : undefined;
  const step = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1, momentum: 0.9, nesterov: true }), ...(policy ? { policy } : {}) });
  const init = model.init(key(0), [-1, ...w.input]);
  let state = step.init(init.params, init.state);
  const { x, y } = batchOf(w.input, w.batch);
  let i = 0;
  let lastLoss = NaN;
  return {
    /** How many programs exist: warm-up runs until each eligible layer has one. */
    get programs() {
      return step.programs;
    },
    eligible: policy ? model.paperBoundaries.length : 1,
    run() {
      const r = step(state, x, y, foldIn(key(1), i++));
      lastLoss = r.loss.item();
      r.loss.dispose();
      state = r.state;
    },
    get loss() {
      return lastLoss;
    },
    dispose() {
      dispose([state.params, state.opt, state.modelState, x, y]);
    },
  };
}

export type Loop = ReturnType<typeof trainingLoop>;

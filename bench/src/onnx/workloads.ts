import { dispose, np, tree } from "@mmx/core";
import { bceSoftmax } from "@mmx/losses";
import { manifoldMixup, trainStep } from "@mmx/mixup";
import { sgd } from "@mmx/optim";
import { foldIn, key } from "@mmx/random";
import { hostBatch, LR, MIXUP_ALPHA, MOMENTUM, WORKLOADS as BENCH_WORKLOADS, type WorkloadName } from "../workloads.js";

export type { WorkloadName };

/**
 * The main bench's workloads (bench/pytorch_bench.py's: one SGD step, Nesterov momentum, on BCE over
 * softmax of a fixed random batch, plain or with Manifold Mixup, k uniform over the model's mixing
 * set), with this bench's step counts.
 */
export const WORKLOADS: Readonly<Record<WorkloadName, { batch: number; steps: number; warmup: number }>> = {
  mlp: { batch: BENCH_WORKLOADS.mlp.batch, steps: 50, warmup: 10 },
  cnn: { batch: BENCH_WORKLOADS.cnn.batch, steps: 30, warmup: 5 },
  preact18: { batch: BENCH_WORKLOADS.preact18.batch, steps: 5, warmup: 2 },
};
export type Mode = "plain" | "manifold";

/** A training loop on the current backend: `run()` is one step, read back like a loop that logs its loss. */
export function trainingLoop(name: WorkloadName, mode: Mode) {
  const w = BENCH_WORKLOADS[name];
  const model = w.model();
  const policy = mode === "manifold" ? manifoldMixup({ alpha: MIXUP_ALPHA, layers: model.paperBoundaries }) : undefined;
  const step = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: LR, momentum: MOMENTUM, nesterov: true }), ...(policy ? { policy } : {}), donate: true });
  const init = model.init(key(0), [-1, ...w.exampleShape]);
  let state = step.init(init.params, init.state);
  const data = hostBatch(w);
  const x = np.array(data.x, { shape: data.shape });
  const y = np.array(data.labels, { shape: [w.batch], dtype: "int32" });
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
      dispose([...new Set([state.params, state.opt, state.modelState, init.params, init.state, x, y].flatMap((t) => tree.leaves(t)))]);
    },
  };
}

export type Loop = ReturnType<typeof trainingLoop>;

import { memory, np, setBackend, tree, type NDArray } from "@mmx/core";
import { bceSoftmax } from "@mmx/losses";
import * as nn from "@mmx/nn";
import { sgd } from "@mmx/optim";
import { foldIn, key } from "@mmx/random";
import { settledTensorCount } from "@mmx/testing/node";
import { manifoldMixup, trainStep } from "../index.js";

/**
 * How many steps the loop runs: 10,000 in the cross-backend matrix (scripts/test-backends.mjs, which sets
 * MMX_PLAN_FILE; CI runs it on cpu, wasm and onnx), 1,000 in the default suite, which must stay fast, and on webgpu,
 * whose CI device is a software Vulkan.
 */
export function readmeLoopSteps(backend: string): number {
  return process.env["MMX_PLAN_FILE"] && backend !== "webgpu" ? 10_000 : 1_000;
}

export interface ReadmeLoopRun {
  /** The tensor count after a warm-up and a collection: where every checkpoint must come back to. */
  before: number;
  /** Tensors above `before` at each checkpoint, before collecting: the unread losses, one per step. */
  uncollected: number[];
  /** The tensor count after collecting, at each checkpoint. */
  counts: number[];
  /** Whether the params given to `init` still hold their values after the loop (nothing freed them). */
  initParamsIntact: boolean;
  /** A step from those params once more gives finite params. */
  restartFinite: boolean;
  seconds: number;
}

/**
 * The README's training loop, `({ state } = step(state, x, y, key))` with `donate: true` and no dispose, on one
 * backend: the smallest
 * model that still has a hidden layer to mix at (an MLP 2-4-2 on a batch of 8), manifold mixup over its layers,
 * SGD with momentum, `steps` steps with `checkpoints` evenly spaced counts.
 */
export async function runReadmeLoop(backend: string, steps: number, checkpoints = 4): Promise<ReadmeLoopRun> {
  await setBackend(backend);
  const model = nn.mlp([2, 4, 2]);
  const step = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1, momentum: 0.9 }), policy: manifoldMixup({ alpha: 2, layers: model.paperBoundaries }), donate: true });
  const x = np.array(Float32Array.from({ length: 16 }, (_, i) => Math.sin(i)), { shape: [8, 2] });
  const y = np.array(Int32Array.from({ length: 8 }, (_, i) => i % 2), { dtype: "int32" });
  const { params } = model.init(key(0), [-1, 2]);
  const firstLeaf = (p: nn.ParamTree) => tree.leaves(p)[0] as NDArray;
  const initial = [...firstLeaf(params).dataSync()];
  let state = step.init(params);
  // Warm-up: compile the program of every layer the policy can draw.
  for (let i = 0; i < 10; i++) ({ state } = step(state, x, y, foldIn(key(1), i)));
  const before = await settledTensorCount();
  const every = Math.floor(steps / checkpoints);
  const uncollected: number[] = [];
  const counts: number[] = [];
  const started = performance.now();
  for (let i = 0; i < steps; i++) {
    ({ state } = step(state, x, y, foldIn(key(2), i)));
    if ((i + 1) % every === 0) {
      uncollected.push(memory().numTensors - before);
      counts.push(await settledTensorCount());
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const initParamsIntact = [...firstLeaf(params).dataSync()].every((v, i) => v === initial[i]);
  const { state: next } = step(step.init(params), x, y, key(3));
  const restartFinite = Number.isFinite(np.sum(firstLeaf(next.params)).item());
  return { before, uncollected, counts, initParamsIntact, restartFinite, seconds };
}

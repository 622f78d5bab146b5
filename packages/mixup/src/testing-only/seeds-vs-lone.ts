import { dispose, np, tree, type Array as MxArray, type ClosedJaxpr, type PyTree } from "@mmx/core";
import { bceSoftmax } from "@mmx/losses";
import * as nn from "@mmx/nn";
import { sgd } from "@mmx/optim";
import { foldIn, key, type Key } from "@mmx/random";
import { assertAllClose } from "@mmx/testing";
import { expect } from "vitest";
import { inputMixup, manifoldMixup, trainSeeds, trainStep, type MixupPolicy, type Progress, type TrainStepOptions } from "../index.js";

/**
 * The check that S seeds trained by trainSeeds equal S lone trainStep runs given the same keys, where each lone
 * run mixes at the layer seed 0 drew: the current backend's, shared by mixup's suite and onnx's.
 */

export const SEEDS = 3;

/** A batch per seed, [B, features] and [B], different for each seed. */
export function batchOf(seed: number, n: number, features = 4) {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = (i + seed) % 3;
    for (let j = 0; j < features; j++) xs.push((j === c ? 1.5 : 0) + Math.sin(i * 5.3 + j * 2.1 + seed * 0.7) * 0.6);
    ys.push(c);
  }
  return { x: np.array(xs, { shape: [n, features] }), y: np.array(ys, { dtype: "int32" }) };
}

/** The policy a lone run of seed s follows: its own λ and permutation, the layer of the leader's key. */
function following(policy: MixupPolicy, leader: () => Key): MixupPolicy {
  return {
    ...policy,
    sample(k, batch, at) {
      const own = policy.sample(k, batch, at);
      const lead = policy.sample(leader(), batch, at);
      dispose([...new Set(tree.leaves([lead.perm, lead.mixing, lead.lambda]).filter((l): l is MxArray => typeof l !== "number"))]);
      return { ...own, layer: lead.layer };
    },
  };
}

const read = (t: unknown) => tree.leaves(t).map((a) => Float64Array.from((a as MxArray).dataSync()));
const stepKey = (s: number, t: number) => foldIn(key(100 + s), t);

export interface SeedsCase {
  name: string;
  model: () => nn.Model | nn.Sequential;
  policy: (m: nn.Model) => MixupPolicy;
  shared: boolean;
  /** One example's shape; default [4]. */
  input?: number[];
  /** Examples per batch; default 9. */
  batch?: number;
  /** Training steps compared; default 4. */
  steps?: number;
  /** The options of the step beside the policy, given to trainSeeds and to the lone trainStep runs alike. */
  stepOptions?: Pick<TrainStepOptions, "labelSmoothing" | "regMixup" | "mixupOptions" | "patchUpLoss">;
  /** Steps per epoch, for a policy that reads the progress (an α schedule, an off epoch); absent: no progress is passed. */
  stepsPerEpoch?: number;
}

export const SEEDS_CASES: SeedsCase[] = [
  { name: "an MLP, manifold mixup over every layer, a batch per seed", model: () => nn.mlp([4, 8, 8, 3]), policy: (m) => manifoldMixup({ alpha: 2, layers: m.mixupLayers }), shared: false },
  { name: "an MLP, per-example λ, one batch shared by the seeds", model: () => nn.mlp([4, 8, 3]), policy: (m) => manifoldMixup({ alpha: 1, layers: m.mixupLayers, perExample: true }), shared: true },
  {
    name: "a batch-norm model (running statistics per seed)",
    model: () => nn.sequential({ fc: nn.dense(4, 8), bn: nn.batchNorm(), act: nn.relu, out: nn.dense(8, 3) }),
    policy: () => manifoldMixup({ alpha: 2, layers: [0, "fc", "bn"] }),
    shared: false,
  },
  {
    // Per-seed filters: each convolution (and each of its gradients) is one grouped convolution over the seeds.
    name: "a small CNN (convolutions with per-seed filters)",
    model: () => nn.sequential({ conv: nn.conv2d(3, 2, { padding: "SAME" }), act: nn.relu, pool: nn.maxPool(2), flat: nn.flatten, out: nn.dense(3, 3) }),
    policy: () => manifoldMixup({ alpha: 2, layers: [0, "conv", "pool"] }),
    shared: false,
    input: [2, 2, 1],
  },
];

/** The options of the mixup algebra that trainSeeds takes (λ and Dirichlet mixing), each beside the lone runs given the same. */
export const SEEDS_OPTION_CASES: SeedsCase[] = [
  {
    name: "n-way Dirichlet mixing (ways 3), a λ row per example, no self-pairs",
    model: () => nn.mlp([4, 8, 8, 3]),
    policy: (m) => manifoldMixup({ alpha: 1, layers: m.mixupLayers, ways: 3, lambdaMode: "elem", selfPairs: false }),
    shared: false,
  },
  {
    name: "half the batch mixed, max(λ, 1 − λ), label smoothing",
    model: () => nn.mlp([4, 8, 3]),
    policy: (m) => manifoldMixup({ alpha: 2, layers: m.mixupLayers, lambdaMode: "half", lambdaMax: true }),
    shared: false,
    stepOptions: { labelSmoothing: 0.1 },
  },
  {
    name: "λ per pair of partners, RegMixup (clean loss plus weighted mixed loss)",
    model: () => nn.mlp([4, 8, 3]),
    policy: () => inputMixup({ alpha: 10, lambdaMode: "pair" }),
    shared: false,
    stepOptions: { regMixup: { weight: 0.5 } },
  },
  {
    name: "a batch-norm model, statistics from the clean batch, the tagged value alone",
    model: () => nn.sequential({ fc: nn.dense(4, 8), act: nn.relu, bn: nn.batchNorm(), out: nn.dense(8, 3) }),
    policy: () => manifoldMixup({ alpha: 2, layers: ["fc"] }),
    shared: false,
    stepOptions: { mixupOptions: { bn: "clean", at: "tag", onWarning: () => {} } },
  },
  {
    name: "an α schedule and an off epoch (the progress is the seeds' own)",
    model: () => nn.mlp([4, 8, 8, 3]),
    policy: (m) => manifoldMixup({ alpha: 2, layers: m.mixupLayers, alphaSchedule: ({ step }: Progress) => 2 / (1 + step), offEpoch: 1 }),
    shared: false,
    stepsPerEpoch: 2,
  },
];

/** nn.smallCnn on small batches: its two convolutions, their gradients, mixing at the input or either block. */
export const SMALL_CNN_CASE: SeedsCase = {
  name: "nn.smallCnn (each convolution one grouped convolution over the seeds)",
  model: () => nn.smallCnn({ classes: 3 }),
  policy: (m) => manifoldMixup({ alpha: 2, layers: m.mixupLayers }),
  shared: false,
  input: [28, 28, 1],
  batch: 2,
  steps: 2,
};

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The case's batches, one per seed: x [B, ...input], y [B]. */
function batchesOf(c: SeedsCase) {
  const input = c.input ?? [4];
  const n = c.batch ?? 9;
  return Array.from({ length: SEEDS }, (_, s) => {
    const b = batchOf(c.shared ? 0 : s, n, size(input));
    const x = np.reshape(b.x, [n, ...input]);
    if (x !== b.x) b.x.dispose();
    return { x, y: b.y };
  });
}

/** The program one trainSeeds step of the case runs (its first step's, mixing where seed 0's key draws), traced. */
export function seedsProgram(c: SeedsCase): ClosedJaxpr {
  const model = c.model();
  const input = c.input ?? [4];
  const inits = Array.from({ length: SEEDS }, (_, s) => model.init(key(s), [-1, ...input]));
  const batches = batchesOf(c);
  const seeds = trainSeeds({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1 }), policy: c.policy(model as nn.Model), seeds: SEEDS, sharedBatch: c.shared });
  const x = c.shared ? batches[0]!.x : np.stack(batches.map((b) => b.x));
  const y = c.shared ? batches[0]!.y : np.stack(batches.map((b) => b.y));
  const state = seeds.init(inits.map((i) => i.params), inits.map((i) => i.state));
  try {
    return seeds.lower(state, x, y, Array.from({ length: SEEDS }, (_, s) => stepKey(s, 0)));
  } finally {
    dispose([state.params, state.opt, state.modelState, x, y, ...batches.flatMap((b) => [b.x, b.y]), ...inits.flatMap((i) => [i.params, i.state])]);
  }
}

/** Trains the case both ways on the current backend and compares every step's loss and layer, and the final states. */
export function checkSeedsAgainstLoneRuns(c: SeedsCase): void {
  const model = c.model();
  const policy = c.policy(model as nn.Model);
  const optimizer = sgd({ lr: 0.2, momentum: 0.9, nesterov: true, weightDecay: 1e-4 });
  const input = c.input ?? [4];
  const inits = Array.from({ length: SEEDS }, (_, s) => model.init(key(s), [-1, ...input]));
  const steps = c.steps ?? 4;
  const batches = batchesOf(c);

  // One program for the seeds.
  const seeds = trainSeeds({ model, loss: bceSoftmax, optimizer, policy, seeds: SEEDS, sharedBatch: c.shared, ...c.stepOptions, donate: true });
  const at = (t: number): Progress | undefined => (c.stepsPerEpoch ? { epoch: Math.floor(t / c.stepsPerEpoch), step: t } : undefined);
  const x = c.shared ? batches[0]!.x : np.stack(batches.map((b) => b.x));
  const y = c.shared ? batches[0]!.y : np.stack(batches.map((b) => b.y));
  let state = seeds.init(inits.map((i) => i.params), inits.map((i) => i.state));
  const losses: number[][] = [];
  const layers: unknown[] = [];
  for (let t = 0; t < steps; t++) {
    const r = seeds(state, x, y, Array.from({ length: SEEDS }, (_, s) => stepKey(s, t)), at(t));
    expect(r.loss.shape).toEqual([SEEDS]);
    losses.push(Array.from(r.loss.dataSync()));
    layers.push(r.layer);
    r.loss.dispose();
    state = r.state;
  }
  expect(seeds.programs).toBeGreaterThanOrEqual(1);

  // The lone runs, each following seed 0's layer draws.
  for (let s = 0; s < SEEDS; s++) {
    let t = 0;
    const lone = trainStep({ model, loss: bceSoftmax, optimizer, policy: following(policy, () => stepKey(0, t)), ...c.stepOptions, donate: true });
    let st = lone.init(
      tree.map((a: MxArray) => np.add(a, 0), inits[s]!.params),
      tree.map((a: MxArray) => np.add(a, 0), inits[s]!.state as PyTree),
    );
    for (t = 0; t < steps; t++) {
      const r = lone(st, batches[s]!.x, batches[s]!.y, stepKey(s, t), at(t));
      expect(r.layer, `seed ${s} step ${t} layer`).toEqual(layers[t]);
      assertAllClose([r.loss.item()], [losses[t]![s]!], { rtol: 1e-4, atol: 1e-5, what: `seed ${s} step ${t} loss` });
      r.loss.dispose();
      st = r.state;
    }
    const mine = seeds.seed(state, s);
    const [got, want] = [read(mine), read(st)];
    const paths = tree.leafPaths(tree.flatten(st)[1]);
    want.forEach((w, i) => assertAllClose(got[i]!, w, { rtol: 2e-4, atol: 2e-5, what: `seed ${s} ${paths[i]}` }));
    dispose([mine.params, mine.opt, mine.modelState, st.params, st.opt, st.modelState]);
  }
  // The seeds' losses differ: they are different runs.
  expect(new Set(losses[steps - 1]!.map((l) => l.toFixed(5))).size).toBeGreaterThan(1);
  dispose([state.params, state.opt, state.modelState, x, y, ...batches.flatMap((b) => [b.x, b.y]), ...inits.flatMap((i) => [i.params, i.state])]);
}

import { dispose, np, tree, type Array as MxArray, type PyTree } from "@mmx/core";
import { bceSoftmax } from "@mmx/losses";
import * as nn from "@mmx/nn";
import { sgd } from "@mmx/optim";
import { foldIn, key } from "@mmx/random";
import { assertAllClose } from "@mmx/testing";
import { expect } from "vitest";
import { inputMixup, manifoldMixup, trainStep, type MixupPolicy, type Progress, type TrainStepOptions } from "../index.js";

/**
 * The check that `step.scan` over T stacked batches takes the steps T `step` calls take with the same keys: the
 * current backend's, shared by mixup's suite and onnx's.
 */

export interface ScanCase {
  name: string;
  model: () => nn.Model | nn.Sequential;
  /** No policy: clean training. */
  policy?: (m: nn.Model) => MixupPolicy;
  stepOptions?: Pick<TrainStepOptions, "labelSmoothing" | "regMixup" | "mixupOptions">;
  /** Steps per epoch, for a policy that reads the progress; absent: no progress is passed. */
  stepsPerEpoch?: number;
  /** Steps scanned; default 6. */
  steps?: number;
  /** One example's shape; default [4]. */
  input?: number[];
}

const quiet = { onWarning: () => {} };

export const SCAN_CASES: ScanCase[] = [
  { name: "an MLP, manifold mixup over every layer (the layer changes inside the loop)", model: () => nn.mlp([4, 8, 8, 3]), policy: (m) => manifoldMixup({ alpha: 2, layers: m.mixupLayers }) },
  { name: "an MLP, λ per example", model: () => nn.mlp([4, 8, 3]), policy: (m) => manifoldMixup({ alpha: 1, layers: m.mixupLayers, perExample: true }) },
  { name: "clean training (no policy)", model: () => nn.mlp([4, 8, 3]) },
  {
    name: "a batch-norm model (running statistics threaded through the loop)",
    model: () => nn.sequential({ fc: nn.dense(4, 8), bn: nn.batchNorm(), act: nn.relu, out: nn.dense(8, 3) }),
    policy: () => manifoldMixup({ alpha: 2, layers: [0, "fc", "bn"] }),
    stepOptions: { mixupOptions: quiet },
  },
];

/** The options a scanned step takes, each beside the loop given the same. */
export const SCAN_OPTION_CASES: ScanCase[] = [
  {
    name: "RegMixup on a batch-norm model with clean steps inside the loop (an α schedule that is 0 on every third step)",
    model: () => nn.sequential({ fc: nn.dense(4, 8), bn: nn.batchNorm(), act: nn.relu, out: nn.dense(8, 3) }),
    policy: () => manifoldMixup({ alpha: 2, layers: [0, "fc"], alphaSchedule: ({ step }: Progress) => (step % 3 === 1 ? 0 : 2) }),
    stepOptions: { regMixup: { weight: 0.5 }, mixupOptions: quiet },
    stepsPerEpoch: 4,
  },
  { name: "half the batch mixed, max(λ, 1 − λ), label smoothing", model: () => nn.mlp([4, 8, 3]), policy: (m) => manifoldMixup({ alpha: 2, layers: m.mixupLayers, lambdaMode: "half", lambdaMax: true }), stepOptions: { labelSmoothing: 0.1 } },
  { name: "input mixup, λ per pair, an off epoch", model: () => nn.mlp([4, 8, 3]), policy: () => inputMixup({ alpha: 1, lambdaMode: "pair", offEpoch: 1 }), stepsPerEpoch: 4 },
  {
    name: "batch statistics from the clean batch, the tagged value alone",
    model: () => nn.sequential({ fc: nn.dense(4, 8), act: nn.relu, bn: nn.batchNorm(), out: nn.dense(8, 3) }),
    policy: () => manifoldMixup({ alpha: 2, layers: [0, "fc", "bn"] }),
    stepOptions: { mixupOptions: { bn: "clean", at: "tag", onWarning: () => {} } },
  },
];

/**
 * A narrow PreActResNet18 (2 channels wide): skip paths cross the cuts of its paper boundaries, and batch norm follows
 * them, with the mixing point moved past it (`bn: "after"`).
 */
export const SCAN_RESNET_CASE: ScanCase = {
  name: "a narrow PreActResNet18 (skip paths cross the cuts), batch statistics after the mixing point",
  model: () => nn.preActResNet18(3, { initialChannels: 2 }),
  policy: (m) => manifoldMixup({ alpha: 2, layers: m.paperBoundaries }),
  stepOptions: { mixupOptions: { bn: "after", onWarning: () => {} } },
  input: [32, 32, 3],
  steps: 3,
};

/** nn.smallCnn: convolutions, max pooling, mixing at the input or either block. */
export const SCAN_CNN_CASE: ScanCase = { name: "nn.smallCnn", model: () => nn.smallCnn({ classes: 3 }), policy: (m) => manifoldMixup({ alpha: 2, layers: m.mixupLayers }), input: [28, 28, 1], steps: 3 };

const BATCH = 6;

/** T batches, different per step: xs [T, B, ...input], ys [T, B]. */
export function stackedBatches(steps: number, input: readonly number[]) {
  const features = input.reduce((a, b) => a * b, 1);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let t = 0; t < steps; t++) {
    for (let i = 0; i < BATCH; i++) {
      const c = (i + t) % 3;
      for (let j = 0; j < features; j++) xs.push((j % 4 === c ? 1.5 : 0) + Math.sin(i * 5.3 + j * 2.1 + t * 0.7) * 0.6);
      ys.push(c);
    }
  }
  return { xs: np.array(xs, { shape: [steps, BATCH, ...input] }), ys: np.array(ys, { dtype: "int32", shape: [steps, BATCH] }) };
}

const stepKey = (t: number) => foldIn(key(300), t);
const copy = <T>(t: T): T => tree.map((a: MxArray) => np.add(a, 0), t as never) as T;
const read = (t: unknown) => tree.leaves(t).map((a) => Float64Array.from((a as MxArray).dataSync()));

/** Trains the case both ways on the current backend; compares each step's loss and layer and the final states. */
export function checkScanAgainstLoop(c: ScanCase): void {
  const model = c.model();
  const policy = c.policy?.(model as nn.Model);
  const optimizer = sgd({ lr: 0.2, momentum: 0.9, nesterov: true, weightDecay: 1e-4 });
  const input = c.input ?? [4];
  const steps = c.steps ?? 6;
  const init = model.init(key(7), [-1, ...input]);
  const { xs, ys } = stackedBatches(steps, input);
  const options = { model, loss: bceSoftmax, optimizer, ...(policy ? { policy } : {}), ...c.stepOptions };
  const at = (t: number): Progress | undefined => (c.stepsPerEpoch ? { epoch: Math.floor(t / c.stepsPerEpoch), step: t } : undefined);

  const scanned = trainStep({ ...options, donate: true });
  const s = scanned.scan(
    scanned.init(copy(init.params), copy(init.state as PyTree)),
    xs,
    ys,
    Array.from({ length: steps }, (_, t) => stepKey(t)),
    c.stepsPerEpoch ? Array.from({ length: steps }, (_, t) => at(t)!) : undefined,
  );
  expect(s.losses.shape).toEqual([steps]);
  const scanLosses = Array.from(s.losses.dataSync());

  const loop = trainStep({ ...options, donate: true });
  let state = loop.init(copy(init.params), copy(init.state as PyTree));
  const mixedAt: unknown[] = [];
  for (let t = 0; t < steps; t++) {
    const x = np.reshape(np.slice(xs, [t, ...input.map(() => 0), 0], [1, BATCH, ...input]), [BATCH, ...input]);
    const y = np.reshape(np.slice(ys, [t, 0], [1, BATCH]), [BATCH]);
    const r = loop(state, x, y, stepKey(t), at(t));
    mixedAt.push(r.layer);
    assertAllClose([r.loss.item()], [scanLosses[t]!], { rtol: 1e-4, atol: 1e-5, what: `step ${t} loss` });
    dispose([r.loss, x, y]);
    state = r.state;
  }
  expect(s.layers).toEqual(mixedAt);
  if (policy) expect(new Set(mixedAt.filter((l) => l !== null)).size, "steps mixing at more than one layer").toBeGreaterThan(policy.layers.length > 1 ? 1 : 0);
  const [got, want] = [read([s.state.params, s.state.opt, s.state.modelState]), read([state.params, state.opt, state.modelState])];
  got.forEach((g, i) => assertAllClose(g, want[i]!, { rtol: 1e-4, atol: 1e-5, what: `state leaf ${i}` }));
  dispose([s.losses, s.state.params, s.state.opt, s.state.modelState, state.params, state.opt, state.modelState, xs, ys, init.params, init.state as PyTree] as never);
}

/** The program `step.scan` runs for the case's T steps, traced. */
export function scanProgram(c: ScanCase) {
  const model = c.model();
  const input = c.input ?? [4];
  const steps = c.steps ?? 6;
  const init = model.init(key(7), [-1, ...input]);
  const { xs, ys } = stackedBatches(steps, input);
  const policy = c.policy?.(model as nn.Model);
  const step = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1 }), ...(policy ? { policy } : {}), ...c.stepOptions });
  const state = step.init(init.params, init.state as PyTree);
  try {
    return step.scan.lower(state, xs, ys, Array.from({ length: steps }, (_, t) => stepKey(t)));
  } finally {
    dispose([state.opt, xs, ys, init.params, init.state as PyTree] as never);
  }
}

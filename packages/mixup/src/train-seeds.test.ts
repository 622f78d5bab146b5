import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describePlan, dispose, EXECUTOR_ONLY_BACKENDS, np, planBackends, setBackend, tree, type Array, type PyTree } from "@mmx/core";
import { bceSoftmax } from "@mmx/losses";
import * as nn from "@mmx/nn";
import { sgd } from "@mmx/optim";
import { foldIn, key, type Key } from "@mmx/random";
import { assertAllClose } from "@mmx/testing";
import { manifoldMixup, trainSeeds, trainStep, type MixupPolicy } from "./index.js";

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

const SEEDS = 3;

/** A batch per seed, [B, 4] and [B], different for each seed. */
function batchOf(seed: number, n: number) {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = (i + seed) % 3;
    for (let j = 0; j < 4; j++) xs.push((j === c ? 1.5 : 0) + Math.sin(i * 5.3 + j * 2.1 + seed * 0.7) * 0.6);
    ys.push(c);
  }
  return { x: np.array(xs, { shape: [n, 4] }), y: np.array(ys, { dtype: "int32" }) };
}

/** The policy a lone run of seed s follows: its own λ and permutation, the layer of the leader's key. */
function following(policy: MixupPolicy, leader: () => Key): MixupPolicy {
  return {
    ...policy,
    sample(k, batch) {
      const own = policy.sample(k, batch);
      const lead = policy.sample(leader(), batch);
      dispose(typeof lead.lambda === "number" ? [lead.perm] : [lead.perm, lead.lambda]);
      return { ...own, layer: lead.layer };
    },
  };
}

const read = (t: unknown) => tree.leaves(t).map((a) => Float64Array.from((a as Array).dataSync()));
const stepKey = (s: number, t: number) => foldIn(key(100 + s), t);

interface Case {
  name: string;
  model: () => nn.Model;
  policy: (m: nn.Model) => MixupPolicy;
  shared: boolean;
}

const cases: Case[] = [
  { name: "an MLP, manifold mixup over every layer, a batch per seed", model: () => nn.mlp([4, 8, 8, 3]), policy: (m) => manifoldMixup({ alpha: 2, layers: m.mixupLayers }), shared: false },
  { name: "an MLP, per-example λ, one batch shared by the seeds", model: () => nn.mlp([4, 8, 3]), policy: (m) => manifoldMixup({ alpha: 1, layers: m.mixupLayers, perExample: true }), shared: true },
  {
    name: "a batch-norm model (running statistics per seed)",
    model: () => nn.sequential({ fc: nn.dense(4, 8), bn: nn.batchNorm(), act: nn.relu, out: nn.dense(8, 3) }),
    policy: () => manifoldMixup({ alpha: 2, layers: [0, "fc", "bn"] }),
    shared: false,
  },
];

for (const backend of plan.run) {
  describe(`${backend}: trainSeeds`, () => {
    beforeAll(async () => {
      await setBackend(backend);
    });

    for (const c of cases) {
      it(`equals ${SEEDS} lone trainStep runs: ${c.name}`, () => {
        const model = c.model();
        const policy = c.policy(model);
        const optimizer = sgd({ lr: 0.2, momentum: 0.9, nesterov: true, weightDecay: 1e-4 });
        const inits = Array.from({ length: SEEDS }, (_, s) => model.init(key(s), [-1, 4]));
        const steps = 4;
        const batches = Array.from({ length: SEEDS }, (_, s) => batchOf(c.shared ? 0 : s, 9));

        // One program for the seeds.
        const seeds = trainSeeds({ model, loss: bceSoftmax, optimizer, policy, seeds: SEEDS, sharedBatch: c.shared });
        const x = c.shared ? batches[0]!.x : np.stack(batches.map((b) => b.x));
        const y = c.shared ? batches[0]!.y : np.stack(batches.map((b) => b.y));
        let state = seeds.init(inits.map((i) => i.params), inits.map((i) => i.state));
        const losses: number[][] = [];
        const layers: unknown[] = [];
        for (let t = 0; t < steps; t++) {
          const r = seeds(state, x, y, Array.from({ length: SEEDS }, (_, s) => stepKey(s, t)));
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
          const lone = trainStep({ model, loss: bceSoftmax, optimizer, policy: following(policy, () => stepKey(0, t)) });
          let st = lone.init(
            tree.map((a: Array) => np.add(a, 0), inits[s]!.params),
            tree.map((a: Array) => np.add(a, 0), inits[s]!.state as PyTree),
          );
          for (t = 0; t < steps; t++) {
            const r = lone(st, batches[s]!.x, batches[s]!.y, stepKey(s, t));
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
      });
    }
  });
}

describe("trainSeeds: bad input", () => {
  beforeAll(async () => {
    await setBackend("cpu");
  });
  it("names the culprit in one line", () => {
    const model = nn.mlp([4, 3]);
    const optimizer = sgd({ lr: 0.1 });
    expect(() => trainSeeds({ model, loss: bceSoftmax, optimizer, seeds: 0 })).toThrow(/trainSeeds: seeds must be a positive integer, got 0/);
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
    expect(() => step.seed(state, 2)).toThrow(/trainSeeds.seed: seed index 2 is not in \[0, 2\)/);
    dispose([p, state.params, state.opt, x, y, xs, ys, bad]);
  });
});

import { afterAll, describe, expect, it } from "vitest";
import { describePlan, EXECUTOR_ONLY_BACKENDS, FreedArrayError, memory, np, planBackends, setBackend, tree, type NDArray } from "@mmx/core";
import { bceSoftmax } from "@mmx/losses";
import * as nn from "@mmx/nn";
import { sgd } from "@mmx/optim";
import { foldIn, key } from "@mmx/random";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { manifoldMixup, trainStep } from "./index.js";

/**
 * The README's training loop, written without a single dispose, on every backend under test (onnx: its own
 * package's suite): flat memory over 1,000 steps, the params given to init never freed, and a donated state
 * that is used again names its donation.
 */
const plan = await planBackends(undefined, { exclude: EXECUTOR_ONLY_BACKENDS });
if (!process.env["MMX_PLAN_FILE"]) console.log(describePlan(plan));

/** A full collection, then turns of the event loop for the FinalizationRegistry callbacks (as core's test-util/gc.ts). */
async function collectGarbage(): Promise<void> {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

const data = () => ({ x: np.array([[1, 0], [0, 1], [1, 1], [0, 0]]), y: np.array([0, 1, 1, 0], { dtype: "int32" }) });

afterAll(async () => {
  await setBackend("cpu");
});

for (const backend of plan.run) {
  describe(`${backend}: the README's trainStep loop, with no dispose`, () => {
    it("holds a flat tensor count over 1,000 steps (the state even without yielding), and init's params outlive it", async () => {
      await setBackend(backend);
      const model = nn.mlp([2, 3, 2]);
      const step = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1, momentum: 0.9 }), policy: manifoldMixup({ alpha: 2, layers: model.mixupLayers }) });
      const { x, y } = data();
      const { params } = model.init(key(0), [-1, 2]);
      const firstLeaf = (p: unknown) => tree.leaves(p)[0] as NDArray;
      const initial = [...firstLeaf(params).dataSync()];
      let state = step.init(params);
      for (let i = 0; i < 10; i++) ({ state } = step(state, x, y, foldIn(key(1), i)));
      await collectGarbage();
      const before = memory().numTensors;
      const counts: number[] = [];
      const uncollected: number[] = [];
      for (let i = 0; i < 1_000; i++) {
        ({ state } = step(state, x, y, foldIn(key(1), i)));
        if ((i + 1) % 250 === 0) {
          // Before collecting, only the unread losses (one scalar per step) wait for the collector: each old
          // state (six arrays) was freed by the step that consumed it.
          uncollected.push(memory().numTensors - before);
          await collectGarbage();
          counts.push(memory().numTensors);
        }
      }
      expect(uncollected).toEqual([250, 250, 250, 250]);
      expect(counts).toEqual([before, before, before, before]);
      const again = step.init(params); // the user's params were never freed
      expect([...firstLeaf(again.params).dataSync()]).toEqual(initial);
      const { state: next } = step(again, x, y, key(2));
      expect(Number.isFinite(np.sum(firstLeaf(next.params)).item())).toBe(true);
    }, 120_000);

    it("a state used after a step consumed it names the donation; with donate: false every state stays", async () => {
      await setBackend(backend);
      const model = nn.mlp([2, 3, 2]);
      const { x, y } = data();
      const { params } = model.init(key(0), [-1, 2]);
      const donating = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1 }) });
      const s0 = donating.init(params);
      const s1 = donating(s0, x, y, key(1)).state;
      donating(s1, x, y, key(2));
      expect(() => donating(s1, x, y, key(3))).toThrow(FreedArrayError);
      expect(() => donating(s1, x, y, key(3))).toThrow(/was donated to trainStep: step\(state\) consumes the state passed to it/);
      const keeping = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1 }), donate: false });
      const k0 = keeping.init(params);
      const k1 = keeping(k0, x, y, key(1)).state;
      keeping(k1, x, y, key(2));
      expect(Number.isFinite(keeping(k1, x, y, key(3)).loss.item())).toBe(true);
      expect(Number.isFinite(keeping(k0, x, y, key(3)).loss.item())).toBe(true);
    });
  });
}

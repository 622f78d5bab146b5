import { afterAll, describe, expect, it } from "vitest";
import { describePlan, EXECUTOR_ONLY_BACKENDS, FreedArrayError, np, planBackends, setBackend } from "@mmx/core";
import { bceSoftmax } from "@mmx/losses";
import * as nn from "@mmx/nn";
import { sgd } from "@mmx/optim";
import { key } from "@mmx/random";
import { trainStep } from "./index.js";
import { readmeLoopSteps, runReadmeLoop } from "./testing-only/readme-loop.js";

/**
 * The README's training loop (`donate: true`), written without a single dispose, on every backend under test (onnx:
 * its own package's suite): flat memory over 10,000 steps in the cross-backend matrix (1,000 in the default suite),
 * the params given to init never freed, and a donated state that is used again names its donation. Without
 * donation, every state stays usable.
 */
// The loop reads losses and checks params with dataSync(), which webgpu cannot do in Node (it reads with await):
// that backend is listed as skipped, with the reason.
const plan = await planBackends(undefined, {
  exclude: { ...EXECUTOR_ONLY_BACKENDS, webgpu: "the README loop reads values synchronously, which tfjs-webgpu cannot do in Node" },
});
if (!process.env["MMX_PLAN_FILE"]) console.log(describePlan(plan));

const data = () => ({ x: np.array([[1, 0], [0, 1], [1, 1], [0, 0]]), y: np.array([0, 1, 1, 0], { dtype: "int32" }) });

afterAll(async () => {
  await setBackend("cpu");
});

for (const backend of plan.run) {
  describe(`${backend}: the README's trainStep loop, with no dispose`, () => {
    const steps = readmeLoopSteps(backend);
    it(`holds a flat tensor count over ${steps.toLocaleString("en")} steps (the state even without yielding), and init's params outlive it`, async () => {
      const r = await runReadmeLoop(backend, steps);
      // Before collecting, only the unread losses (one scalar per step) wait for the collector: each old state
      // (six arrays) was freed by the step that consumed it.
      expect(r.uncollected).toEqual([steps / 4, steps / 4, steps / 4, steps / 4]);
      expect(r.counts).toEqual([r.before, r.before, r.before, r.before]);
      expect(r.initParamsIntact).toBe(true); // the user's params were never freed
      expect(r.restartFinite).toBe(true);
    }, 120_000);

    it("donate: true frees the state passed to a step, and using it again names the donation", async () => {
      await setBackend(backend);
      const model = nn.mlp([2, 3, 2]);
      const { x, y } = data();
      const { params } = model.init(key(0), [-1, 2]);
      const donating = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1 }), donate: true });
      const s0 = donating.init(params);
      const s1 = donating(s0, x, y, key(1)).state;
      donating(s1, x, y, key(2));
      expect(() => donating(s1, x, y, key(3))).toThrow(FreedArrayError);
      expect(() => donating(s1, x, y, key(3))).toThrow(/was donated to trainStep\(\{ donate: true \}\), whose step\(state\) frees the state passed to it \(use the state it returns\) at .*ownership\.test\.ts:\d+:\d+/);
      // init's state holds the caller's params: the step that consumed it freed only the optimizer state it made.
      expect(Number.isFinite(donating(donating.init(params), x, y, key(4)).loss.item())).toBe(true);
    });

    it("without donate (the default) every state stays usable, the first one included", async () => {
      await setBackend(backend);
      const model = nn.mlp([2, 3, 2]);
      const { x, y } = data();
      const { params } = model.init(key(0), [-1, 2]);
      const keeping = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1 }) });
      const k0 = keeping.init(params);
      const k1 = keeping(k0, x, y, key(1)).state;
      keeping(k1, x, y, key(2));
      expect(Number.isFinite(keeping(k1, x, y, key(3)).loss.item())).toBe(true);
      expect(Number.isFinite(keeping(k0, x, y, key(3)).loss.item())).toBe(true);
    });
  });
}

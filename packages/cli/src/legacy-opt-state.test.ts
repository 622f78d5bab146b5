import { np, tidy } from "@mmx/core";
import { sgd } from "@mmx/optim";
import { describe, expect, it } from "vitest";
import { upgradeSgdState } from "./legacy-opt-state.js";
import { checkParamsFit } from "./params-fit.js";

describe("upgradeSgdState: checkpoints from before optim's optax shape", () => {
  it("an old { count, momentum } state fits today's sgd and continues its step exactly", () =>
    tidy(() => {
      const params = { w: np.array([1, -2]) };
      const grads = { w: np.array([0.5, 0.25]) };
      const opt = sgd({ lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-3 });
      // What the old sgd saved after 3 steps: its count and buffers.
      const old = { count: np.array(3, { dtype: "int32" }), momentum: { w: np.array([0.2, -0.1]) } };
      const upgraded = upgradeSgdState(old) as ReturnType<typeof opt.init>;
      expect(() => checkParamsFit({ params, opt: opt.init(params), modelState: {} }, { params, opt: upgraded, modelState: {} }, "checkpoint c")).not.toThrow();
      // The same state built today: the step from either is the same.
      const today = opt.init(params);
      const fresh = [today[0], { count: np.array(3, { dtype: "int32" }), momentum: { w: np.array([0.2, -0.1]) } }, { count: np.array(3, { dtype: "int32" }) }] as typeof today;
      expect([...opt.update(grads, upgraded, params).updates.w.dataSync()]).toEqual([...opt.update(grads, fresh, params).updates.w.dataSync()]);
      expect(upgraded[1].count).not.toBe(upgraded[2].count);
    }));

  it("without momentum, and leaves other trees alone", () =>
    tidy(() => {
      const params = { w: np.array([1]) };
      const opt = sgd({ lr: 0.1 });
      const upgraded = upgradeSgdState({ count: np.array(0, { dtype: "int32" }) });
      expect(() => checkParamsFit({ params, opt: opt.init(params), modelState: {} }, { params, opt: upgraded, modelState: {} }, "checkpoint c")).not.toThrow();
      const current = opt.init(params);
      expect(upgradeSgdState(current)).toBe(current);
      const odd = { count: np.array(0), momentum: {} };
      expect(upgradeSgdState(odd)).toBe(odd);
    }));
});

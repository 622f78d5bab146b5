import { describe, expect, it } from "vitest";
import { dispose, np } from "@mmx/core";
import { bceSoftmax, nll } from "@mmx/losses";
import * as nn from "@mmx/nn";
import { sgd } from "@mmx/optim";
import { key } from "@mmx/random";
import { inputMixup, manifoldMixup, mixup, trainStep } from "./index.js";

/** The one label rule, as nll states it: the same message from mixup and trainStep. */
const outside = (what: string, label: number, index: number, classes: number) => `${what}: label ${label} at index ${index} is outside [0, ${classes}) for ${classes} classes`;

describe("labels outside [0, classes), or not whole numbers", () => {
  const model = nn.mlp([4, 8, 3]);
  const x = np.array(Array.from({ length: 16 }, (_, i) => Math.sin(i)), { shape: [4, 4] });
  const params = model.init(key(0), [-1, 4]).params;
  const f = (p: nn.ParamTree, xs: typeof x) => model.apply(p, xs, { train: true }).out;

  it("are refused by nll, mixup and every trainStep (clean, input, manifold) with the same message naming label and position", () => {
    for (const [labels, bad, at] of [[[0, 1, 3, 2], 3, 2], [[0, -1, 1, 2], -1, 1], [[0, 1, 2, 7], 7, 3]] as const) {
      const y = np.array([...labels], { dtype: "int32" });
      expect(() => nll(np.zeros([4, 3]), y)).toThrow(outside("nll", bad, at, 3));
      expect(() => mixup(1, 0.5)(f)(params, x, y, [1, 0, 3, 2])).toThrow(outside("mixup", bad, at, 3));
      for (const policy of [undefined, inputMixup({ alpha: 1 }), manifoldMixup({ alpha: 2, layers: model.paperBoundaries })]) {
        const step = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1 }), ...(policy ? { policy } : {}), donate: true });
        const state = step.init(model.init(key(1), [-1, 4]).params);
        expect(() => step(state, x, y, key(2))).toThrow(outside("trainStep", bad, at, 3));
        // A refused step frees nothing, even one that donates: the state is still usable.
        const ok = step(state, x, np.array([0, 1, 2, 0], { dtype: "int32" }), key(2));
        expect(Number.isFinite(ok.loss.item())).toBe(true);
        dispose([ok.loss, ok.state.params, ok.state.opt]);
      }
      y.dispose();
    }
  });

  it("given as floats are refused, naming the first that is not a class index", () => {
    const y = np.array([0, 1.5, 2, 0]);
    expect(() => mixup(0, 0.5)(f)(params, x, y, [1, 0, 3, 2])).toThrow("mixup: labels must be int32 class indices, got float32 [4]: label 1.5 at index 1 is not a class index");
    const step = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1 }) });
    const state = step.init(model.init(key(1), [-1, 4]).params);
    expect(() => step(state, x, y, key(2))).toThrow("trainStep: labels must be int32 class indices, got float32 [4]: label 1.5 at index 1 is not a class index");
    dispose([state.params, state.opt, y]);
  });
});

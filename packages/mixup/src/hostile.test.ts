import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { np } from "@mmx/core";
import { bceSoftmax } from "@mmx/losses";
import * as nn from "@mmx/nn";
import { sgd } from "@mmx/optim";
import { key } from "@mmx/random";
import { inputMixup, manifoldMixup, mixup, trainStep } from "./index.js";

const model = nn.mlp([2, 4, 3]);
const params = model.init(key(0), [-1, 2]).params;
const f = (p: nn.ParamTree, xs: ReturnType<typeof np.array>) => model.apply(p, xs, { train: false }).out;
const x = np.array([[1, 2], [3, 4], [5, 6], [7, 8]]);
const labels = np.array([0, 1, 2, 0], { dtype: "int32" });

describe("mixup and trainStep refuse what they cannot use, naming it (never a property read of null, never a mismatched result)", () => {
  const step = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1 }), donate: false });
  const state = step.init(params);
  const cases: [string, () => unknown, RegExp][] = [
    ["perm null", () => mixup(0, 0.5)(f)(params, x, labels, null as never), /^mixup: perm must be an int32 array or a list of numbers \(a permutation of 0\.\.3\), got null$/],
    ["perm a string", () => mixup(0, 0.5)(f)(params, x, labels, "0123" as never), /^mixup: perm must be an int32 array or a list of numbers/],
    ["one-hot targets of another class count", () => mixup(0, 0.5)(f)(params, x, np.full([4, 5], 0.2), [1, 0, 3, 2]), /^mixup: y must be int32 labels \[4\] or float32 target rows \[4,3\] for the model's 3 classes, got f32\[4,5\]$/],
    ["int32 targets of rank 2", () => mixup(0, 0.5)(f)(params, x, np.zeros([4, 3], "int32"), [1, 0, 3, 2]), /^mixup: y must be int32 labels \[4\] or float32 target rows \[4,3\].*got i32\[4,3\]$/],
    ["alpha Infinity", () => manifoldMixup({ alpha: Infinity, layers: [0] }), /^manifoldMixup: alpha must be a finite number, got Infinity$/],
    ["perExample a string", () => inputMixup({ alpha: 1, perExample: "yes" as never }), /^manifoldMixup: perExample must be true or false, got "yes"$/],
    ["trainStep: an empty batch", () => step(state, np.zeros([0, 2]), np.zeros([0], "int32"), key(0)), /^trainStep: the batch is empty \(x is float32\[0,2\]\); a step needs at least one example$/],
    ["trainStep: state null", () => step(null as never, x, labels, key(0)), /^trainStep: state must be \{ params, opt, modelState \}/],
    ["trainStep: y null", () => step(state, x, null as never, key(0)), /^trainStep: y must be int32 labels \[B\] or target rows \[B, C\] \(an mmx Array\), got null$/],
    ["trainStep: x a plain list", () => step(state, [[1, 2]] as never, labels, key(0)), /^trainStep: x must be an mmx Array with a batch axis, got object$/],
    ["trainStep: y of another batch", () => step(state, x, np.array([0, 1], { dtype: "int32" }), key(0)), /^trainStep: y has 2 examples \(int32\[2\]\) but x has 4$/],
  ];
  for (const [what, call, message] of cases) it(what, () => expect(call).toThrow(message));

  it("any batch size from 1 up trains with or without mixing; 0 is refused the same way with every policy", () => {
    const policies = [undefined, inputMixup({ alpha: 1 }), manifoldMixup({ alpha: 2, layers: model.paperBoundaries })];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 }), fc.constantFrom(...policies), (b, policy) => {
        const s = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1 }), donate: false, ...(policy ? { policy } : {}) });
        const xb = np.array(Array.from({ length: b * 2 }, (_, i) => Math.cos(i)), { shape: [b, 2] });
        const yb = np.array(Array.from({ length: b }, (_, i) => i % 3), { shape: [b], dtype: "int32" });
        if (b === 0) expect(() => s(s.init(params), xb, yb, key(b))).toThrow(/^trainStep: the batch is empty/);
        else expect(Number.isFinite(s(s.init(params), xb, yb, key(b)).loss.item())).toBe(true);
      }),
      { numRuns: 12 },
    );
  });
});

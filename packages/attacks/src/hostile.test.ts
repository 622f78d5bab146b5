import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { np } from "@mmx/core";
import { key } from "@mmx/random";
import { fgsm, pgd } from "./index.js";
import { crossEntropy, mlp, randomArray, randomMlp, stream } from "./testing-only/fixtures.js";

const params = randomMlp(6, 5, 3, 1);

describe("the attacks check labels and the batch before the compiled step, where the loss cannot", () => {
  it("a label outside [0, classes) is refused naming it and its position, by FGSM and PGD (it was a silent zero target row)", () => {
    const attacks = [fgsm({ model: mlp, loss: crossEntropy, eps: 0.1 }), pgd({ model: mlp, loss: crossEntropy, eps: 0.1, stepSize: 0.02, steps: 2, key: key(0) })];
    fc.assert(
      fc.property(fc.constantFrom(...attacks), fc.integer({ min: 0, max: 3 }), fc.oneof(fc.integer({ min: 3, max: 1000 }), fc.integer({ min: -1000, max: -1 })), (attack, at, bad) => {
        const labels = [0, 1, 2, 1];
        labels[at] = bad;
        const x = randomArray([4, 6], stream(at + 1), 0.2, 0.8);
        expect(() => attack(params, x, np.array(labels, { dtype: "int32" }))).toThrow(new RegExp(`^${attack.settings.kind}: label ${bad} at index ${at} is outside \\[0, 3\\) for the model's 3 classes$`));
      }),
      { numRuns: 10 },
    );
  });

  it("an empty batch is refused", () => {
    expect(() => fgsm({ model: mlp, loss: crossEntropy, eps: 0.1 })(params, np.zeros([0, 6]), np.zeros([0], "int32"))).toThrow(/^fgsm: x must hold a batch of at least one example, got float32\[0,6\]$/);
  });
});

describe("robustAccuracy when the model's output is NaN", () => {
  it("an attacked row whose logits hold NaN is neither right nor wrong: that accuracy is NaN, the clean one stays a count", async () => {
    const { robustAccuracy } = await import("./index.js");
    // An "attack" that pushes one input to NaN: the model's logits for that row are NaN.
    const x = randomArray([4, 6], stream(9), 0.2, 0.8);
    const poison = Object.assign((_: unknown, xx: ReturnType<typeof np.array>) => np.mul(xx, np.array([[1], [Number.NaN], [1], [1]])), { withLosses: () => { throw new Error("unused"); }, settings: {}, clearCache: () => {} });
    const r = await robustAccuracy({ attack: poison as never, model: mlp, params, batches: [{ x, y: np.array([0, 1, 2, 1], { dtype: "int32" }) }] });
    expect(Number.isFinite(r.clean)).toBe(true);
    expect(r.adversarial).toBeNaN();
  });
});

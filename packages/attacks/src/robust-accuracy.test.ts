import { jit, memory, np, type Array } from "@mmx/core";
import { beforeAll, describe, expect, it } from "vitest";
import { fgsm, robustAccuracy } from "./index.js";
import { blobs, crossEntropy, mlp, randomMlp, train, type MlpParams } from "./testing-only/fixtures.js";

const correctOf = jit((p: MlpParams, x: Array, y: Array) => np.sum(np.astype(np.equal(np.argmax(mlp(p, x), -1), y), "int32")));

describe("robustAccuracy", () => {
  let params: MlpParams;
  const batches = [blobs(16, 4, 21), blobs(16, 4, 22), blobs(10, 4, 23)];
  const attack = fgsm({ model: mlp, loss: crossEntropy, eps: 0.12 });

  beforeAll(() => {
    const data = blobs(64, 4, 7);
    params = train(randomMlp(4, 8, 2, 3, 0.5), data.x, data.y, 150, 0.5);
  });

  it("counts clean and attacked correct predictions over the batches", async () => {
    let clean = 0;
    let adversarial = 0;
    for (const b of batches) {
      clean += correctOf(params, b.x, b.y).item();
      adversarial += correctOf(params, attack(params, b.x, b.y), b.y).item();
    }
    const r = await robustAccuracy({ attack, model: mlp, params, batches });
    expect(r).toEqual({ count: 42, clean: clean / 42, adversarial: adversarial / 42, cleanCorrect: clean, adversarialCorrect: adversarial });
    expect(r.adversarial).toBeLessThan(r.clean);
  });

  it("reads one-hot targets and async batches", async () => {
    const oneHotAttack = fgsm({ model: mlp, loss: (logits: Array, y: Array) => np.neg(np.mean(np.sum(np.mul(np.logSoftmax(logits), y), { axis: 1 }))), eps: 0.12 });
    async function* oneHot() {
      for (const b of batches) yield { x: b.x, y: np.oneHot(b.y, 2) };
    }
    const r = await robustAccuracy({ attack: oneHotAttack, model: mlp, params, batches: oneHot() });
    const reference = await robustAccuracy({ attack, model: mlp, params, batches });
    expect(r).toEqual(reference);
  });

  it("leaves the tensor count flat", async () => {
    await robustAccuracy({ attack, model: mlp, params, batches });
    const before = memory().numTensors;
    for (let i = 0; i < 3; i++) await robustAccuracy({ attack, model: mlp, params, batches });
    expect(memory().numTensors).toBe(before);
  });

  it("says what is wrong with a dataset", async () => {
    await expect(robustAccuracy({ attack, model: mlp, params, batches: [] })).rejects.toThrow(/gave no examples/);
    await expect(robustAccuracy({ attack, model: mlp, params, batches: [{ x: batches[0]!.x, y: np.zeros([16]) }] })).rejects.toThrow(/cannot read class labels from y float32\[16\]/);
    await expect(robustAccuracy({ attack, model: mlp, params, batches: [{ x: batches[0]!.x, y: np.zeros([3], "int32") }] })).rejects.toThrow(/batch 0: labels must be an array of shape \[16\], got int32\[3\]/);
    await expect(robustAccuracy({ attack, model: mlp, params, batches: 5 as never })).rejects.toThrow(/batches must be an iterable/);
  });
});

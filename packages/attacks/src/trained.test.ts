import { jit, memory, np, type Array } from "@mmx/core";
import { key } from "@mmx/random";
import { beforeAll, describe, expect, it } from "vitest";
import { fgsm, ifgsm, pgd } from "./index.js";
import { blobs, crossEntropy, mlp, randomMlp, train, type MlpParams } from "./testing-only/fixtures.js";

const accuracyOf = jit((p: MlpParams, x: Array, y: Array) => np.mean(np.astype(np.equal(np.argmax(mlp(p, x), -1), y), "float32")));
const lossOf = jit((p: MlpParams, x: Array, y: Array) => crossEntropy(mlp(p, x), y));

describe("attacks on a trained model", () => {
  let params: MlpParams;
  let data: { x: Array; y: Array };

  beforeAll(() => {
    // Separable blobs in [0, 1]^4, a 4-8-2 tanh MLP, 150 full-batch SGD steps.
    data = blobs(64, 4, 7);
    params = train(randomMlp(4, 8, 2, 3, 0.5), data.x, data.y, 150, 0.5);
  });

  it("trains to fit the data", () => {
    expect(accuracyOf(params, data.x, data.y).item()).toBe(1);
    expect(lossOf(params, data.x, data.y).item()).toBeLessThan(0.15);
  });

  it("raises the loss and lowers the accuracy (fgsm, ifgsm, pgd at eps 0.15)", () => {
    const clean = { loss: lossOf(params, data.x, data.y).item(), accuracy: accuracyOf(params, data.x, data.y).item() };
    const eps = 0.15;
    for (const attack of [
      fgsm({ model: mlp, loss: crossEntropy, eps }),
      ifgsm({ model: mlp, loss: crossEntropy, eps, stepSize: eps / 4, steps: 8 }),
      pgd({ model: mlp, loss: crossEntropy, eps, stepSize: eps / 4, steps: 8, key: key(1) }),
    ]) {
      const adv = attack(params, data.x, data.y);
      const attacked = { loss: lossOf(params, adv, data.y).item(), accuracy: accuracyOf(params, adv, data.y).item() };
      expect(attacked.loss, attack.settings.kind).toBeGreaterThan(clean.loss + 0.5);
      expect(attacked.accuracy, attack.settings.kind).toBeLessThan(clean.accuracy - 0.25);
      adv.dispose();
    }
  });

  it("the iterative attacks are at least as strong as fgsm here", () => {
    const eps = 0.12;
    const one = fgsm({ model: mlp, loss: crossEntropy, eps })(params, data.x, data.y);
    const many = ifgsm({ model: mlp, loss: crossEntropy, eps, stepSize: eps / 5, steps: 10 })(params, data.x, data.y);
    expect(lossOf(params, many, data.y).item()).toBeGreaterThanOrEqual(lossOf(params, one, data.y).item() - 1e-4);
  });

  it("frees every intermediate: the tensor count is flat over several batches", () => {
    const attacks = [
      fgsm({ model: mlp, loss: crossEntropy, eps: 0.1 }),
      ifgsm({ model: mlp, loss: crossEntropy, eps: 0.1, stepSize: 0.02, steps: 5 }),
      pgd({ model: mlp, loss: crossEntropy, eps: 0.1, stepSize: 0.02, steps: 5, key: key(2) }),
    ];
    const batches = [0, 1, 2, 3].map((i) => blobs(16, 4, 100 + i));
    const runAll = () => {
      for (const b of batches) {
        for (const a of attacks) a(params, b.x, b.y).dispose();
        const { x, losses } = attacks[2]!.withLosses(params, b.x, b.y);
        expect(losses).toHaveLength(6);
        x.dispose();
      }
    };
    runAll(); // compiles and caches the programs
    const before = memory().numTensors;
    runAll();
    runAll();
    expect(memory().numTensors).toBe(before);
  });
});

import { getBackend, grad, np, setBackend, type Array } from "@mmx/core";
import { key } from "@mmx/random";
import { beforeAll, describe, expect, it } from "vitest";
import { fgsm, pgd, robustAccuracy } from "./index.js";
import { blobs, crossEntropy, mlp, randomArray, randomMlp, stream, train, values } from "./testing-only/fixtures.js";

// The CLI attacks on the wasm backend by default: the same checks there.
describe("attacks on the wasm backend", () => {
  beforeAll(async () => {
    await setBackend("wasm");
  });

  it("fgsm steps by exactly eps·sign(∇x loss)", () => {
    expect(getBackend()).toBe("wasm");
    const params = randomMlp(6, 5, 3, 1);
    const y = np.array([0, 2, 1, 1], { dtype: "int32" });
    const x = randomArray([4, 6], stream(2), 0.2, 0.8);
    const g = grad((xx: Array) => crossEntropy(mlp(params, xx), y))(x) as Array;
    const e = Math.fround(0.05);
    const expected = values(x).map((v, i) => Math.fround(v + e * Math.sign(values(g)[i]!)));
    expect(values(fgsm({ model: mlp, loss: crossEntropy, eps: 0.05 })(params, x, y))).toEqual(expected);
  });

  it("pgd lowers a trained model's accuracy", async () => {
    const data = blobs(64, 4, 7);
    const params = train(randomMlp(4, 8, 2, 3, 0.5), data.x, data.y, 150, 0.5);
    const attack = pgd({ model: mlp, loss: crossEntropy, eps: 0.15, stepSize: 0.04, steps: 6, key: key(4) });
    const r = await robustAccuracy({ attack, model: mlp, params, batches: [data] });
    expect(r.clean).toBe(1);
    expect(r.adversarial).toBeLessThan(0.75);
  });
});

import { describe, expect, it } from "vitest";
import { grad, jit, makeJaxpr, memory, np, tag, tidy, valueAndGrad } from "./index.js";

describe("smoke", () => {
  it("prints a jaxpr", () => {
    const f = (x: any, w: any) => tag(np.tanh(np.matmul(x, w)), "layer1");
    const j = makeJaxpr(f)(np.ones([4, 3]), np.ones([3, 2]));
    console.log(j.toString());
    const g = makeJaxpr(grad((w: any, x: any) => np.sum(f(x, w)), {}))(np.ones([3, 2]), np.ones([4, 3]));
    console.log(g.toString());
  });
  it("grads", () => {
    const x = np.array([[1, 2], [3, 4]]);
    const g = grad((x: any) => np.sum(np.mul(x, x)))(x);
    console.log(g.toString());
    const [v, gg] = valueAndGrad((x: any) => np.mean(np.exp(x)))(x);
    console.log(v.toString(), gg.toString());
    const jf = jit((x: any) => np.sum(np.tanh(x)));
    const before = memory().numTensors;
    for (let i = 0; i < 100; i++) jf(x).dispose();
    expect(memory().numTensors).toBe(before);
    const jg = jit(grad((x: any) => np.sum(np.tanh(x))));
    console.log(jg(x).toString(), jg.lower(x).toString());
    const gg2 = grad((x: any) => np.sum(grad((y: any) => np.sum(np.mul(np.mul(y, y), y)))(x)))(x);
    console.log("second", gg2.toString());
    tidy(() => 1);
  });
});

import { getBackend, grad, jit, np, setBackend, tidy, tree } from "@mmx/core";
import { afterAll, describe, expect, test } from "vitest";
import { Key, key, split } from "./key.js";
import { bernoulli, normal, uniform } from "./index.js";

describe("@mmx/random with @mmx/core", () => {
  test("a Key is a pytree leaf, kept whole in a tree", () => {
    const k = key(3);
    const t = { rng: k, w: [1, 2] };
    const leaves = tree.leaves(t);
    expect(leaves).toContain(k);
    expect(leaves.filter((l) => l instanceof Key)).toHaveLength(1);
  });

  test("draws made inside a traced function enter the program as constants", () => {
    tidy(() => {
      const k = key(1);
      const f = (x: ReturnType<typeof np.ones>) => np.sum(np.mul(x, uniform(k, [3])));
      const x = np.ones([3]);
      const eager = f(x).item();
      expect(jit(f)(x).item()).toBeCloseTo(eager, 6);
      const g = grad(f)(x);
      expect(Array.from(g.dataSync())).toEqual(Array.from(uniform(k, [3]).dataSync()));
    });
  });

  const initial = getBackend();
  afterAll(async () => {
    await setBackend(initial);
  });

  test("the same key gives bit-identical arrays on the cpu and wasm backends", async () => {
    const draw = () =>
      tidy(() => {
        const [a, b, c] = split(key(99), 3);
        return [normal(a!, [64]).dataSync(), uniform(b!, [64], { min: -3, max: 5 }).dataSync(), bernoulli(c!, 0.3, [64]).dataSync()].map((v) => Array.from(v));
      });
    await setBackend("cpu");
    const onCpu = draw();
    await setBackend("wasm");
    const onWasm = draw();
    expect(onWasm).toEqual(onCpu);
  });
});

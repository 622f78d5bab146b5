import * as tf from "@tensorflow/tfjs-core";
import { afterAll, describe, expect, it } from "vitest";
import { describePlan, DeviceArray, EXECUTOR_ONLY_BACKENDS, FreedArrayError, grad, jit, memory, np, planBackends, setBackend, tidy, type NDArray } from "./index.js";
import { collectGarbage, collectUntil, settledTensorCount } from "./test-util/gc.js";

/**
 * The ownership model (docs/ownership.md): arrays are freed once unreachable, nothing a caller can still reach is
 * freed except by its own dispose, tidy or donation, and a freed array names who freed it when used.
 */
const plan = await planBackends(undefined, { exclude: EXECUTOR_ONLY_BACKENDS });
if (!process.env["MMX_PLAN_FILE"]) console.log(describePlan(plan));

type Params = { w: NDArray; b: NDArray };
const loss = (p: Params, x: NDArray, y: NDArray) => np.mean(np.square(np.sub(np.add(np.matmul(x, p.w), p.b), y)));
const update = (p: Params, x: NDArray, y: NDArray): Params => {
  const g = grad(loss)(p, x, y);
  return { w: np.sub(p.w, np.mul(g.w, 0.1)), b: np.sub(p.b, np.mul(g.b, 0.1)) };
};
const init = (): Params => ({ w: np.array([[0.1, -0.2], [0.3, 0.1], [0, 0.2]]), b: np.zeros([2]) });
const batch = () => ({ x: np.array([[1, 2, 3], [0, 1, 0], [2, 0, 1], [1, 1, 1]]), y: np.array([[1, 0], [0, 1], [1, 1], [0, 0]]) });

afterAll(async () => {
  await setBackend("cpu");
});

for (const backend of plan.run) {
  describe(`${backend}: ownership`, () => {
    it("the README's loop `p = step(p, x, y)` without dispose holds a flat tensor count over 10,000 steps", async () => {
      await setBackend(backend);
      const step = jit(update);
      const { x, y } = batch();
      let p = step(init(), x, y);
      const before = await settledTensorCount(() => memory().numTensors);
      const counts: number[] = [];
      for (let i = 0; i < 10_000; i++) {
        p = step(p, x, y);
        if ((i + 1) % 2_500 === 0) {
          // The collector may need more than one pass to reach the last states; a leak never settles.
          await collectUntil(() => memory().numTensors <= before);
          counts.push(memory().numTensors);
        }
      }
      expect(counts).toEqual([before, before, before, before]);
      expect(Number.isFinite(p.w.dataSync()[0]!)).toBe(true);
    });

    it("never frees what the caller still holds: old params stay readable after the loop and a collection", async () => {
      await setBackend(backend);
      const step = jit(update);
      const { x, y } = batch();
      const first = init();
      const kept: Params[] = [first];
      let p = first;
      for (let i = 0; i < 50; i++) {
        p = step(p, x, y);
        if (i % 10 === 0) kept.push(p);
      }
      const snapshot = kept.map((k) => [...k.w.dataSync()]);
      await collectGarbage();
      for (let i = 0; i < 50; i++) p = step(p, x, y);
      await collectGarbage();
      expect(kept.map((k) => [...k.w.dataSync()])).toEqual(snapshot);
      expect([...first.w.dataSync()].map((v) => +v.toFixed(6))).toEqual([0.1, -0.2, 0.3, 0.1, 0, 0.2]);
    });

    it("donateArgnums frees the donated params in the call: a loop that never yields holds one copy", async () => {
      await setBackend(backend);
      const step = jit(update, { donateArgnums: [0] });
      const { x, y } = batch();
      const first = init();
      let p = step(first, x, y);
      const before = memory().numTensors;
      for (let i = 0; i < 1_000; i++) p = step(p, x, y);
      expect(memory().numTensors).toBe(before);
      expect(() => first.w.dataSync()).toThrow(FreedArrayError);
      expect(() => np.add(first.b, 1)).toThrow(/^add: the array f32\[2\] was donated to jit\(update\) at .*ownership\.test\.ts:\d+:\d+/);
      expect(Number.isFinite(p.b.dataSync()[0]!)).toBe(true);
    });

    it("a collection never frees data a live array shares: a reshape of it, or another array over its tensor", async () => {
      await setBackend(backend);
      let a: NDArray | null = np.array([1, 2, 3, 4, 5, 6]);
      const view = np.reshape(a, [2, 3]);
      let source: DeviceArray | null = np.array([7, 8]) as DeviceArray;
      const sameTensor = new DeviceArray(source.tensor);
      let other: DeviceArray | null = new DeviceArray((np.array([9]) as DeviceArray).tensor);
      const survivor = np.array([1]) as DeviceArray;
      other = new DeviceArray(survivor.tensor);
      a = null;
      source = null;
      other = null;
      await collectGarbage();
      expect(a ?? source ?? other).toBeNull();
      expect([...view.dataSync()]).toEqual([1, 2, 3, 4, 5, 6]);
      expect([...sameTensor.dataSync()]).toEqual([7, 8]);
      expect([...survivor.dataSync()]).toEqual([1]);
    });

    it("unreachable eager arrays are freed: no dispose, no tidy", async () => {
      await setBackend(backend);
      const x = np.ones([8, 8]);
      const before = await settledTensorCount(() => memory().numTensors);
      for (let i = 0; i < 200; i++) np.tanh(np.add(np.matmul(x, x), i));
      await collectUntil(() => memory().numTensors <= before);
      expect(memory().numTensors).toBe(before);
    });
  });
}

describe("a freed array says who freed it", () => {
  it("dispose(), the tidy() that made it, or tfjs", async () => {
    await setBackend("cpu");
    const a = np.zeros([128, 10]);
    a.dispose();
    expect(() => a.dataSync()).toThrow(/^dataSync\(\): the array f32\[128,10\] was freed by dispose\(\) at .*ownership\.test\.ts:\d+:\d+/);
    let inner: NDArray | null = null;
    tidy(() => {
      inner = np.ones([3], "int32");
      return np.zeros([1]);
    });
    expect(() => np.neg(inner!)).toThrow(/^neg: the array i32\[3\] was freed by the tidy\(\) that made it at .*ownership\.test\.ts:\d+:\d+/);
    const b = np.ones([2]) as DeviceArray;
    tf.dispose(b.tensor);
    expect(() => b.item()).toThrow(/^item\(\): the array f32\[2\] was freed outside mmx/);
    expect(() => jit((v: NDArray) => np.neg(v))(a)).toThrow(/^jit: the array f32\[128,10\] was freed by dispose\(\)/);
  });
});

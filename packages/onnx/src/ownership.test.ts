import { afterAll, describe, expect, it } from "vitest";
import { grad, hostBufferStats, jit, memory, np, setBackend, tree, type NDArray } from "@mmx/core";
import { bceSoftmax } from "@mmx/losses";
import { manifoldMixup, trainStep } from "@mmx/mixup";
import * as nn from "@mmx/nn";
import { sgd } from "@mmx/optim";
import { foldIn, key } from "@mmx/random";
import { collectGarbage, collectUntil, settledTensorCount } from "@mmx/testing/node";
import "./index.js";
import { readmeLoopSteps, runReadmeLoop } from "../../mixup/src/testing-only/readme-loop.js";
import { onnxUnderTest } from "./testing-only/under-test.js";

/**
 * Ownership on onnx (docs/ownership.md): outputs are written into reused host buffers, and a buffer comes back for
 * reuse only once every array over it is freed, by dispose, donation or the garbage collector.
 */
const underTest = await onnxUnderTest();
type Params = { w: NDArray; b: NDArray };
const loss = (p: Params, x: NDArray, y: NDArray) => np.mean(np.square(np.sub(np.add(np.matmul(x, p.w), p.b), y)));
const update = (p: Params, x: NDArray, y: NDArray): Params => {
  const g = grad(loss)(p, x, y);
  return { w: np.sub(p.w, np.mul(g.w, 0.1)), b: np.sub(p.b, np.mul(g.b, 0.1)) };
};
const x = () => np.array([[1, 2, 3], [0, 1, 0], [2, 0, 1], [1, 1, 1]]);
const y = () => np.array([[1, 0], [0, 1], [1, 1], [0, 0]]);

afterAll(async () => {
  await setBackend("cpu");
});

describe.skipIf(!underTest)("onnx: ownership", () => {
  it("`p = step(p, x, y)` without dispose: a flat tensor count over 10,000 steps, and kept params never overwritten", async () => {
    await setBackend("onnx");
    const step = jit(update);
    const [xs, ys] = [x(), y()];
    let p = step({ w: np.array([[0.1, -0.2], [0.3, 0.1], [0, 0.2]]), b: np.zeros([2]) }, xs, ys);
    const before = await settledTensorCount();
    const reusedBefore = hostBufferStats().reused;
    const kept: { params: Params; values: number[] }[] = [];
    const counts: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      p = step(p, xs, ys);
      if (i % 1_000 === 0) kept.push({ params: p, values: [...p.w.dataSync()] });
      if ((i + 1) % 2_500 === 0) {
        // The collector may need more than one pass to reach the last states; a leak never settles.
        await collectUntil(() => memory().numTensors - 2 * kept.length <= before);
        counts.push(memory().numTensors - 2 * kept.length);
      }
    }
    expect(counts).toEqual([before, before, before, before]);
    // The collected params' buffers went to later outputs; the kept ones were never handed out again.
    expect(hostBufferStats().reused).toBeGreaterThan(reusedBefore);
    for (const k of kept) expect([...k.params.w.dataSync()]).toEqual(k.values);
  }, 120_000);

  it("donateArgnums: the donated params' buffers become the next outputs within a loop that never yields", async () => {
    await setBackend("onnx");
    const step = jit(update, { donateArgnums: [0] });
    const [xs, ys] = [x(), y()];
    let p = step({ w: np.array([[0.1, -0.2], [0.3, 0.1], [0, 0.2]]), b: np.zeros([2]) }, xs, ys);
    const before = memory().numTensors;
    const allocated = hostBufferStats().allocated;
    for (let i = 0; i < 1_000; i++) p = step(p, xs, ys);
    expect(memory().numTensors).toBe(before);
    expect(hostBufferStats().allocated - allocated).toBeLessThanOrEqual(2);
  });

  it("trainStep without donate (the default): every state it made stays readable and unchanged while the collected ones' buffers are reused", async () => {
    await setBackend("onnx");
    const model = nn.mlp([2, 4, 2]);
    const step = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1, momentum: 0.9 }), policy: manifoldMixup({ alpha: 2, layers: model.paperBoundaries }) });
    const xs = np.array([[1, 0], [0, 1], [1, 1], [0, 0]]);
    const ys = np.array([0, 1, 1, 0], { dtype: "int32" });
    const first = step.init(model.init(key(0), [-1, 2]).params);
    const values = (s: typeof first) => tree.leaves([s.params, s.opt]).map((a) => [...(a as NDArray).dataSync()]);
    const kept = [{ state: first, values: values(first) }];
    let state = first;
    const reusedBefore = hostBufferStats().reused;
    for (let i = 0; i < 200; i++) {
      ({ state } = step(state, xs, ys, foldIn(key(1), i)));
      if (i % 20 === 0) kept.push({ state, values: values(state) });
      if (i % 40 === 39) await collectGarbage();
    }
    expect(hostBufferStats().reused).toBeGreaterThan(reusedBefore);
    for (const k of kept) expect(values(k.state)).toEqual(k.values);
    expect(Number.isFinite(step(kept[1]!.state, xs, ys, key(2)).loss.item())).toBe(true);
  });

  const steps = readmeLoopSteps("onnx");
  it(`the README's trainStep loop (donate: true) without dispose: a flat tensor count over ${steps.toLocaleString("en")} steps, init's params never freed`, async () => {
    const r = await runReadmeLoop("onnx", steps);
    // Before collecting, only the unread losses (one scalar per step) wait for the collector: each old state was
    // donated to the step that consumed it.
    expect(r.uncollected).toEqual([steps / 4, steps / 4, steps / 4, steps / 4]);
    expect(r.counts).toEqual([r.before, r.before, r.before, r.before]);
    expect(r.initParamsIntact).toBe(true);
    expect(r.restartFinite).toBe(true);
  }, 120_000);
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { availableBackends, dispose, getBackend, hostBufferStats, jit, memory, np, setBackend, type Array } from "@mmx/core";
import { onnxDevice, setOnnxRuntimeOptions } from "./index.js";

beforeAll(async () => {
  await setBackend("onnx");
});
afterAll(async () => {
  setOnnxRuntimeOptions({ provider: "auto", intraOpThreads: 0, allowSpinning: false, memoryArena: true });
  await setBackend("cpu");
});

const values = (a: Array) => globalThis.Array.from(a.dataSync());

describe("the onnx backend", () => {
  it("is listed with the execution provider it uses, and selectable", async () => {
    const info = (await availableBackends()).find((b) => b.name === "onnx")!;
    expect(info.available).toBe(true);
    expect(info.detail).toMatch(/^onnxruntime-node 1\.30\.0, (CPU|CUDA) execution provider/);
    expect(info.detail).toBe(onnxDevice().detail);
    expect(getBackend()).toBe("onnx");
  });

  it("outputs belong to the caller: a later run does not touch them, and inputs are never written", () => {
    const f = jit((x: Array) => np.add(np.mul(x, 2), 1));
    const x1 = np.array([1, 2, 3]);
    const x2 = np.array([10, 20, 30]);
    const a = f(x1);
    const b = f(x2);
    expect(values(a)).toEqual([3, 5, 7]);
    expect(values(b)).toEqual([21, 41, 61]);
    expect(values(x1)).toEqual([1, 2, 3]);
    const c = f(a); // an output fed back in (as a training loop does with its parameters)
    expect(values(c)).toEqual([7, 11, 15]);
    expect(values(a)).toEqual([3, 5, 7]);
    dispose([x1, x2, a, b, c]);
  });

  it("profiles a program as one step (onnxruntime runs the graph in one call), with the run's outputs", () => {
    const f = jit((x: Array) => np.tanh(np.add(np.mul(x, 2), 1)));
    const x = np.array([0, 1, 2]);
    const { outputs, timings } = f.profile(x);
    expect(values(outputs)).toEqual(values(f(x)));
    expect(timings).toHaveLength(1);
    expect(timings[0]!.primitive).toMatch(/^onnxruntime session \(\d+ nodes\)$/);
    expect(timings[0]!.ms).toBeGreaterThanOrEqual(0);
    dispose([x, outputs]);
  });

  it("gives separate arrays for an output repeated, an input returned as is, and a literal", () => {
    const f = jit((x: Array) => {
      const y = np.exp(x);
      return [y, y, x, 2.5];
    });
    const x = np.array([0, 1]);
    const out = f(x) as Array[];
    expect(new Set(out).size).toBe(4);
    expect(values(out[0]!)).toEqual(values(out[1]!));
    expect(values(out[2]!)).toEqual([0, 1]);
    expect(values(out[3]!)).toEqual([2.5]);
    out[0]!.dispose();
    expect(values(out[1]!)[0]).toBe(1);
    out[2]!.dispose();
    expect(values(x)).toEqual([0, 1]);
    dispose([x, out]);
  });

  it("runs int32 and bool programs, and scalars", () => {
    const f = jit((i: Array, m: Array, s: Array) => [np.where(m, np.mul(i, 3), np.neg(i)), np.equal(m, np.array(false)), np.mul(s, s)]);
    const i = np.array([1, -2, 3], { dtype: "int32" });
    const m = np.array([true, false, true]);
    const s = np.array(1.5);
    const [a, b, c] = f(i, m, s) as Array[];
    expect(a!.dtype).toBe("int32");
    expect(values(a!)).toEqual([3, 2, 9]);
    expect(b!.dtype).toBe("bool");
    expect(values(b!)).toEqual([0, 1, 0]);
    expect(c!.shape).toEqual([]);
    expect(values(c!)).toEqual([2.25]);
    dispose([i, m, s, a, b, c]);
  });

  it("compiles once per signature and frees its sessions with the cache", () => {
    const f = jit((x: Array) => np.sum(np.square(x)));
    const before = memory().numTensors;
    for (let k = 0; k < 3; k++) {
      const small = np.array([1, 2]);
      const big = np.array([1, 2, 3]);
      dispose([f(small), f(big), small, big]);
    }
    expect(f.cacheSize).toBe(2);
    expect(memory().numTensors).toBe(before);
    f.clearCache();
    expect(f.cacheSize).toBe(0);
  });

  it("a loop writes each step's outputs into the buffers of the step before, and what a caller read stays put", () => {
    // A training loop's shape: new parameters from old ones, the old ones freed after each step.
    const step = jit((w: Array, v: Array) => [np.sub(w, np.mul(v, 0.5)), np.add(np.mul(v, 0.9), 1)]);
    let w = np.array(Float32Array.from({ length: 1000 }, (_, i) => i));
    let v = np.array(new Float32Array(1000));
    const readAfterFirst: Float32Array[] = [];
    const stats0 = hostBufferStats();
    for (let i = 0; i < 6; i++) {
      const [w2, v2] = step(w, v) as [Array, Array];
      if (i === 0) readAfterFirst.push(w2.dataSync() as Float32Array, v2.dataSync() as Float32Array);
      dispose([w, v]);
      [w, v] = [w2, v2];
    }
    const stats = hostBufferStats();
    // Steps 1 and 2 allocate (the inputs were the caller's arrays, not outputs); after that every output reuses a buffer.
    expect(stats.allocated - stats0.allocated).toBe(4);
    expect(stats.reused - stats0.reused).toBe(8);
    expect(readAfterFirst[0]![10]).toBe(10);
    expect(readAfterFirst[1]![10]).toBe(1);
    // v after 6 steps: 1 + 0.9 + ... + 0.9^5.
    expect(v.dataSync()[3]).toBeCloseTo((1 - 0.9 ** 6) / 0.1, 5);
    dispose([w, v]);
  });

  it("refuses options it does not know", () => {
    expect(() => setOnnxRuntimeOptions({ provider: "tpu" as never })).toThrow(/provider must be 'auto', 'cuda' or 'cpu', got "tpu"/);
    expect(() => setOnnxRuntimeOptions({ intraOpThreads: -1 })).toThrow(/intraOpThreads must be a non-negative integer, got -1/);
    expect(() => setOnnxRuntimeOptions({ memoryArena: "yes" as never })).toThrow(/memoryArena must be a boolean, got "yes"/);
  });

  it("runs with a fixed thread count when asked", () => {
    setOnnxRuntimeOptions({ intraOpThreads: 1 });
    expect(onnxDevice().detail).toMatch(/1 intra-op threads/);
    const f = jit((x: Array) => np.exp(x));
    const x = np.array([0]);
    const y = f(x);
    expect(values(y)).toEqual([1]);
    dispose([x, y]);
    setOnnxRuntimeOptions({ intraOpThreads: 0 });
  });
});

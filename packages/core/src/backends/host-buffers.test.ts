import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { dispose, np, setBackend } from "../index.js";
import { hostBufferStats, setHostBufferLimit, takeHostBuffer } from "./host-buffers.js";

/** What an executor does with an output: take a buffer, write it, wrap it as an array on the cpu backend. */
function output(values: number[]) {
  const buffer = takeHostBuffer("float32", values.length) as Float32Array;
  buffer.set(values);
  return { buffer, array: np.array(buffer, { shape: [values.length] }) };
}

describe("host buffers", () => {
  beforeAll(async () => {
    await setBackend("cpu");
  });
  afterEach(() => setHostBufferLimit(256 * 2 ** 20));

  it("hands a buffer out again once its array is freed, and not before", () => {
    const a = output([1, 2, 3, 4, 5, 6, 7]);
    const other = takeHostBuffer("float32", 7);
    expect(other).not.toBe(a.buffer);
    a.array.dispose();
    expect(takeHostBuffer("float32", 7)).toBe(a.buffer);
    // Another size or dtype never gets it.
    const b = output([1, 2, 3, 4, 5, 6, 7, 8]);
    b.array.dispose();
    expect(takeHostBuffer("float32", 9)).not.toBe(b.buffer);
    expect(takeHostBuffer("int32", 8)).not.toBe(b.buffer);
  });

  it("waits for every array over the buffer: reshapes and clones share it", () => {
    const a = output([1, 2, 3, 4, 5, 6, 10, 11, 12, 13, 14]);
    const view = np.reshape(a.array, [11, 1]);
    const wrappedAgain = np.array(a.buffer, { shape: [11] });
    a.array.dispose();
    expect(takeHostBuffer("float32", 11)).not.toBe(a.buffer);
    view.dispose();
    expect(takeHostBuffer("float32", 11)).not.toBe(a.buffer);
    wrappedAgain.dispose();
    expect(takeHostBuffer("float32", 11)).toBe(a.buffer);
  });

  it("reads of such arrays are copies: what a caller keeps is never overwritten", async () => {
    const a = output([1.5, 2.5, 3.5]);
    const kept = a.array.dataSync();
    const keptAsync = await a.array.data();
    expect(kept).not.toBe(a.buffer);
    expect(Array.from(kept)).toEqual([1.5, 2.5, 3.5]);
    a.array.dispose();
    const next = output([9, 9, 9]);
    expect(next.buffer).toBe(a.buffer);
    expect(Array.from(kept)).toEqual([1.5, 2.5, 3.5]);
    expect(Array.from(keptAsync)).toEqual([1.5, 2.5, 3.5]);
    expect(Array.from(next.array.dataSync())).toEqual([9, 9, 9]);
    next.array.dispose();
  });

  it("a freed buffer wrapped again from its raw values is in use, not free", () => {
    const a = output([4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7]);
    a.array.dispose();
    const again = np.array(a.buffer, { shape: [13] });
    expect(takeHostBuffer("float32", 13)).not.toBe(a.buffer);
    again.dispose();
    expect(takeHostBuffer("float32", 13)).toBe(a.buffer);
  });

  it("a buffer whose array moves to another backend is never reused (that backend may keep the values)", async () => {
    const a = output([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
    await setBackend("wasm");
    const moved = np.add(a.array, 1); // reading it on wasm moves its data there (tfjs moveData: a forced dispose on cpu)
    expect(Array.from(moved.dataSync()).slice(0, 3)).toEqual([2, 3, 4]);
    await setBackend("cpu");
    dispose([a.array, moved]);
    expect(takeHostBuffer("float32", 17)).not.toBe(a.buffer);
  });

  it("keeps at most the limit's bytes of free buffers", () => {
    setHostBufferLimit(0);
    const a = output([1, 2, 3, 4, 5]);
    const before = hostBufferStats().dropped;
    a.array.dispose();
    expect(hostBufferStats().dropped).toBe(before + 1);
    expect(takeHostBuffer("float32", 5)).not.toBe(a.buffer);
    expect(() => setHostBufferLimit(-1)).toThrow(/setHostBufferLimit: bytes must be a finite number >= 0, got -1/);
  });
});

import { dispose, memory, np } from "@mmx/core";
import { key } from "@mmx/random";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { augment } from "./augment.js";
import { batchCount, batches, epochOrder, forEachBatch, gatherRows } from "./batches.js";
import { hostArray } from "./host-array.js";
import { ImageDataset } from "./image-dataset.js";

/** n examples: x row i is [i, 100 + i], y is i, so a batch tells which examples it holds. */
function source(n: number) {
  return {
    x: hostArray(Float32Array.from({ length: 2 * n }, (_, j) => (j % 2 ? 100 : 0) + Math.floor(j / 2)), [n, 2]),
    y: hostArray(Int32Array.from({ length: n }, (_, i) => i), [n]),
  };
}

describe("batches", () => {
  it("covers each example exactly once per epoch (or all but the short tail with dropLast)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 70 }), fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 2 ** 31 }), (n, batchSize, dropLast, shuffle, seed) => {
        const seen: number[] = [];
        let count = 0;
        for (const b of batches(source(n), { batchSize, key: key(seed), dropLast, shuffle })) {
          expect(b.index).toBe(count++);
          const ys = [...b.y.dataSync()];
          const xs = [...b.x.dataSync()];
          expect(b.x.shape).toEqual([ys.length, 2]);
          expect(ys).toEqual([...b.indices]);
          ys.forEach((i, r) => expect([xs[2 * r], xs[2 * r + 1]]).toEqual([i, 100 + i]));
          if (dropLast) expect(ys.length).toBe(batchSize);
          else expect(ys.length).toBeLessThanOrEqual(batchSize);
          seen.push(...ys);
          dispose(b);
        }
        expect(count).toBe(batchCount(n, batchSize, dropLast));
        const expected = dropLast ? Math.floor(n / batchSize) * batchSize : n;
        expect(seen).toHaveLength(expected);
        expect(new Set(seen).size).toBe(expected);
        if (!shuffle) expect(seen).toEqual([...Array(expected).keys()]);
      }),
      { numRuns: 60 },
    );
  });

  it("same key, same order; different keys, different orders", () => {
    const order = (seed: number) => [...batches(source(100), { batchSize: 100, key: key(seed) })].map((b) => {
      const v = [...b.indices];
      dispose(b);
      return v;
    })[0]!;
    expect(order(1)).toEqual(order(1));
    expect(order(1)).not.toEqual(order(2));
    expect(order(1)).not.toEqual([...Array(100).keys()]);
    expect(epochOrder(100, { key: key(3) })).toEqual(epochOrder(100, { key: key(3) }));
  });

  it("reads an ImageDataset through its host view and mmx Arrays given as the source", () => {
    const ds = new ImageDataset({ name: "tiny", pixels: Uint8Array.from({ length: 5 * 4 }, (_, i) => i * 10), labels: Int32Array.from([0, 1, 0, 1, 1]), imageShape: [2, 2, 1], classNames: ["a", "b"] });
    const [b] = [...batches(ds, { batchSize: 8, shuffle: false })];
    expect(b!.x.shape).toEqual([5, 2, 2, 1]);
    expect(b!.x.dtype).toBe("float32");
    expect(b!.x.dataSync()[3]).toBeCloseTo(30 / 255, 6);
    expect(b!.y.dtype).toBe("int32");
    dispose(b);

    const x = np.array([[1, 2], [3, 4], [5, 6]]);
    const y = np.array(Int32Array.from([7, 8, 9]));
    const [c] = [...batches({ x, y }, { batchSize: 3, shuffle: false })];
    expect([...c!.x.dataSync()]).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...c!.y.dataSync()]).toEqual([7, 8, 9]);
    dispose([c, x, y]);
  });

  it("gives each batch its own transform key: augmentation is deterministic per epoch key", () => {
    const imgs = {
      x: hostArray(Float32Array.from({ length: 6 * 8 * 8 * 1 }, (_, i) => (i % 7) + 1), [6, 8, 8, 1]),
      y: hostArray(Int32Array.from([0, 1, 2, 3, 4, 5]), [6]),
    };
    const epoch = (seed: number) =>
      [...batches(imgs, { batchSize: 3, key: key(seed), transform: (x, k) => augment(x, k, { padding: 2 }) })].map((b) => {
        const v = [...b.x.dataSync()];
        dispose(b);
        return v;
      });
    const a = epoch(4);
    expect(epoch(4)).toEqual(a);
    expect(epoch(5)).not.toEqual(a);
    // Every batch really was transformed (zero padding shows up somewhere).
    expect(a.every((v) => v.some((p) => p === 0))).toBe(true);
  });

  it("forEachBatch frees every batch, even when the callback throws", async () => {
    const before = memory().numTensors;
    let n = 0;
    await forEachBatch(source(10), { batchSize: 3, key: key(0) }, async (b) => {
      n += b.indices.length;
    });
    expect(n).toBe(10);
    expect(memory().numTensors).toBe(before);
    await expect(forEachBatch(source(10), { batchSize: 3, key: key(0) }, () => { throw new Error("boom"); })).rejects.toThrow("boom");
    expect(memory().numTensors).toBe(before);
  });

  it("fails at the call with a clear error", () => {
    expect(() => batches(source(4), { batchSize: 0, key: key(0) })).toThrow(/batchSize must be a whole number >= 1, got 0/);
    expect(() => batches(source(4), { batchSize: 2.5, key: key(0) })).toThrow(/batchSize/);
    expect(() => batches(source(4), { batchSize: 2 })).toThrow(/shuffling needs a key/);
    const mismatched = { x: hostArray(new Float32Array(8), [4, 2]), y: hostArray(new Int32Array(3), [3]) };
    expect(() => batches(mismatched, { batchSize: 2, key: key(0) })).toThrow(/x has 4 examples \(shape \[4,2\]\) but y has 3 \(shape \[3\]\)/);
    expect(() => batches({ x: [1, 2] as never, y: [1, 2] as never }, { batchSize: 1, shuffle: false })).toThrow(/expected an mmx Array or a host array/);
    expect(() => gatherRows(source(3).x, [0, 3])).toThrow(/index 3 \(position 1\) is outside \[0, 3\)/);
  });
});

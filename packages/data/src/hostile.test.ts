import { execFileSync } from "node:child_process";
import { mkdtempSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { key } from "@mmx/random";
import { batchCount, batches, hostArray } from "./index.js";
import { encodeImageCache, readImageCache } from "./cache-file.js";

describe("batching refuses what it cannot count or use", () => {
  it("batchCount of a count that is not a whole number >= 0 (it returned NaN or a negative count)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(Number.NaN, Infinity, -Infinity, 1.5, 2 ** 53), fc.integer({ max: -1 })), fc.integer({ min: 1, max: 9 }), (n, size) => {
        expect(() => batchCount(n, size)).toThrow(/^batchCount: n must be a whole number >= 0 \(the examples\), got /);
      }),
    );
  });

  it("a transform that returns something other than a host array is named", () => {
    const source = { x: hostArray(Float32Array.from([1, 2, 3, 4]), [2, 2], "x"), y: hostArray(Int32Array.from([0, 1]), [2], "y") };
    for (const bad of [null, undefined, 3, { shape: [2, 2] }, [[1, 2]]]) {
      expect(() => [...batches(source, { batchSize: 2, shuffle: false, key: key(0), transform: () => bad as never })]).toThrow(/^batches: the transform must return a host array \{ data, shape \}/);
    }
  });
});

describe("image cache files are checked against their header's size before they are read", () => {
  const images = { pixels: new Uint8Array(2 * 2 * 2 * 1).fill(7), labels: Uint8Array.from([0, 1]), imageShape: [2, 2, 1] as const, numClasses: 2 };
  const expected = { imageShape: [2, 2, 1] as const, numClasses: 2 };

  it("a file padded to any size (a sparse 3 GB one too) is stale, and says it was not read", () => {
    const dir = mkdtempSync(join(tmpdir(), "mmx-cache-"));
    const good = encodeImageCache(images, "t");
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 1, max: 4096 }), fc.constant(3 * 2 ** 30)), (extra) => {
        const path = join(dir, "c.mmx");
        writeFileSync(path, good);
        truncateSync(path, good.length + extra);
        expect(() => readImageCache(path, "t", expected)).toThrow(/bytes, but its header implies \d+ \(truncated or padded\); not read$/);
      }),
      { numRuns: 10 },
    );
  });

  it("a folder or a FIFO by the cache file's name is stale (a FIFO would block the read forever)", () => {
    const dir = mkdtempSync(join(tmpdir(), "mmx-cache-"));
    expect(() => readImageCache(dir, "t", expected)).toThrow(/is a folder, not a file$/);
    const fifo = join(dir, "fifo.mmx");
    execFileSync("mkfifo", [fifo]);
    expect(() => readImageCache(fifo, "t", expected)).toThrow(/is not a regular file$/);
  });
});

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCifar10, readCifar100 } from "./cifar.js";
import { DataFileError } from "./errors.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "mmx-cifar-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Pixel value of image n, channel ch, at (row, col): distinct enough to catch a layout mistake. */
const pixel = (n: number, ch: number, row: number, col: number) => (n * 37 + ch * 101 + row * 7 + col * 3) % 256;

/** A CIFAR binary file written the way the official one is: label byte(s), then R, G, B planes. */
function writeFixture(name: string, labels: number[][]): string {
  const recordBytes = labels[0]!.length + 3072;
  const bytes = new Uint8Array(labels.length * recordBytes);
  labels.forEach((ls, n) => {
    const at = n * recordBytes;
    bytes.set(ls, at);
    for (let ch = 0; ch < 3; ch++) {
      for (let row = 0; row < 32; row++) for (let col = 0; col < 32; col++) bytes[at + ls.length + ch * 1024 + row * 32 + col] = pixel(n, ch, row, col);
    }
  });
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

function expectPixels(x: Float32Array, n: number, offset = 0) {
  for (const [row, col] of [[0, 0], [0, 31], [17, 5], [31, 31]] as const) {
    for (let ch = 0; ch < 3; ch++) {
      expect(x[((n * 32 + row) * 32 + col) * 3 + ch]).toBeCloseTo(pixel(n + offset, ch, row, col) / 255, 6);
    }
  }
}

describe("readCifar10", () => {
  it("reads records into NHWC float32 in [0, 1] with int32 labels, across files in order", async () => {
    const a = writeFixture("a.bin", [[3], [9], [0]]);
    const b = writeFixture("b.bin", [[7], [1]]);
    const ds = await readCifar10([a, b]);
    expect(ds.shape).toEqual([5, 32, 32, 3]);
    expect([...ds.labels]).toEqual([3, 9, 0, 7, 1]);
    expect(ds.x.shape).toEqual([5, 32, 32, 3]);
    expect(ds.x.dtype).toBe("float32");
    expect(ds.y.dtype).toBe("int32");
    const x = ds.x.dataSync() as Float32Array;
    expectPixels(x, 0);
    expectPixels(x, 2);
    expectPixels(x.subarray(3 * 3072), 0); // first record of the second file
    ds.dispose();
  });

  it("names the file and byte offset of a truncated file", async () => {
    const good = writeFixture("good.bin", [[1], [2]]);
    const path = join(dir, "truncated.bin");
    writeFileSync(path, new Uint8Array(3073 * 2 + 100));
    const err = await readCifar10([good, path]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataFileError);
    expect((err as DataFileError).path).toBe(path);
    expect((err as DataFileError).offset).toBe(6146);
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toMatch(/truncated or malformed.*byte offset 6146/);
  });

  it("rejects a label out of range at its byte offset, for any record", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 10, max: 255 }), async (bad, label) => {
        const labels = [[1], [2], [3], [4]];
        labels[bad] = [label];
        const path = writeFixture(`bad-label-${bad}.bin`, labels);
        await expect(readCifar10(path)).rejects.toThrow(new RegExp(`label ${label} at byte offset ${bad * 3073} \\(record ${bad}\\)`));
      }),
      { numRuns: 8 },
    );
  });

  it("names a missing file and rejects an empty one", async () => {
    const missing = join(dir, "nope", "data_batch_1.bin");
    await expect(readCifar10(missing)).rejects.toThrow(`missing data file ${missing}`);
    const empty = join(dir, "empty.bin");
    writeFileSync(empty, new Uint8Array(0));
    await expect(readCifar10(empty)).rejects.toThrow(/empty/);
  });
});

describe("readCifar100", () => {
  it("picks the fine or coarse label and checks both", async () => {
    const path = writeFixture("c100.bin", [[4, 99], [19, 0], [0, 42]]);
    const fine = await readCifar100([path]);
    expect([...fine.labels]).toEqual([99, 0, 42]);
    expect(fine.numClasses).toBe(100);
    const coarse = await readCifar100(path, { labels: "coarse" });
    expect([...coarse.labels]).toEqual([4, 19, 0]);
    expect(coarse.numClasses).toBe(20);
    expectPixels(coarse.host.x.data, 1);

    const badCoarse = writeFixture("c100-bad.bin", [[4, 99], [20, 0]]);
    await expect(readCifar100(badCoarse)).rejects.toThrow(/label 20 at byte offset 3074 \(record 1\) is outside \[0, 20\)/);
    // A CIFAR-10 file read as CIFAR-100 is the wrong record size.
    const c10 = writeFixture("c10.bin", [[1], [2], [3]]);
    await expect(readCifar100(c10)).rejects.toThrow(/not a whole number of 3074-byte records/);
    await expect(readCifar100(path, { labels: "medium" as never })).rejects.toThrow(/unknown labels "medium"/);
  });
});

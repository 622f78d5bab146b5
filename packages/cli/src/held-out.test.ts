import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ImageDataset } from "@mmx/data/node";
import { loadData, type DataConfig } from "./datasets.js";
import { heldOutData } from "./held-out.js";
import { run, tempDir } from "./test-helpers.js";

const fashion = (trainLimit?: number): DataConfig => ({ dataset: "fashion-mnist", spiralsTrain: 0, spiralsTest: 0, spiralsNoise: 0, dataSeed: 0, ...(trainLimit !== undefined ? { trainLimit } : {}), testLimit: 50 });

describe("held-out data for temperature scaling", () => {
  it("image datasets: the training examples after --train-limit, none of them a training image", async () => {
    const held = await heldOutData(fashion(100), 60);
    if ("missing" in held) throw new Error(held.missing);
    expect(held.count).toBe(60);
    expect(held.description).toBe("fashion-mnist training examples 100..159 (after --train-limit 100: never trained on)");
    const train = (await loadData(fashion(100))).train as ImageDataset;
    const source = held.source as ImageDataset;
    const image = (d: ImageDataset, i: number) => d.pixels.subarray(i * 784, (i + 1) * 784).join(",");
    const seen = new Set(globalThis.Array.from({ length: train.count }, (_, i) => image(train, i)));
    for (let i = 0; i < source.count; i++) expect(seen.has(image(source, i))).toBe(false);
  });

  it("a run that trained on a whole training split has none, and says why (the test set is never used)", async () => {
    expect(await heldOutData(fashion(), 100)).toEqual({ missing: "the run trained on every training example of fashion-mnist, so there is no held-out data to fit a temperature on (train with --train-limit N to keep examples back)" });
  });

  it("spirals: fresh points, not the training or test points", async () => {
    const config: DataConfig = { dataset: "spirals", spiralsTrain: 50, spiralsTest: 50, spiralsNoise: 0.05, dataSeed: 3 };
    const held = await heldOutData(config, 50);
    if ("missing" in held) throw new Error(held.missing);
    const data = await loadData(config);
    const xs = (s: unknown) => (s as { x: { data: Float32Array } }).x.data;
    const used = new Set([...xs(data.train), ...xs(data.test)]);
    expect([...xs(held.source)].some((v) => used.has(v))).toBe(false);
  });

  it("mmx eval on a Fashion-MNIST run reports NLL and ECE before and after, fitted on the held-out images", async () => {
    const out = join(tempDir(), "fm");
    const trained = await run(["train", "--dataset", "fashion-mnist", "--train-limit", "100", "--test-limit", "50", "--hidden", "8", "--batch", "50", "--epochs", "1", "--quiet", "--out", out]);
    expect(trained.code).toBe(0);
    const r = await run(["eval", out, "--calibration-examples", "200", "--json"]);
    expect(r.code).toBe(0);
    const ev = JSON.parse(r.stdout);
    expect(ev.calibration).toMatchObject({ fitOn: "fashion-mnist training examples 100..299 (after --train-limit 100: never trained on)", fitCount: 200, count: 50 });
    expect(ev.calibration.before.nll).toBeCloseTo(ev.nll, 5);
    expect(JSON.parse(readFileSync(join(out, "eval-test.json"), "utf8")).calibration).toEqual(ev.calibration);
  }, 60_000);
});

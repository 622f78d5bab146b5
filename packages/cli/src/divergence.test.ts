import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readCheckpointInfo } from "./checkpoint.js";
import { runFiles } from "./run-files.js";
import { run, tempDir } from "./test-helpers.js";

const TINY = ["train", "--n-train", "64", "--n-test", "32", "--batch", "32", "--hidden", "4", "--backend", "wasm", "--quiet"];

describe("a diverged run", () => {
  it("--lr 1e300: exits 2 naming epoch, step and global step, and writes no non-finite checkpoint", async () => {
    const out = join(tempDir(), "run");
    const r = await run([...TINY, "--lr", "1e300", "--epochs", "1", "--out", out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mmx: training diverged at epoch 1, step 1 of 2 \(global step 1\): the updated state holds non-finite values \(first at params\..*\)\. Likely cause: --lr 1e\+300 is large for SGD.*Options set: --lr 1e\+300, --batch 32\. No checkpoint was written/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(existsSync(runFiles(out).checkpoint)).toBe(false);
  });

  it("blames --wd, not --lr, when weight decay makes it diverge, and keeps the last good checkpoint", async () => {
    const out = join(tempDir(), "run");
    expect((await run([...TINY, "--wd", "30", "--lr", "0.1", "--epochs", "1", "--out", out])).code).toBe(0);
    const good = readFileSync(runFiles(out).checkpoint);
    // The same run resumed for more epochs: lr·wd = 3 makes the weights grow by a factor of 2 a step.
    const r = await run(["train", "--resume", "--out", out, "--epochs", "400", "--quiet"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mmx: training diverged at epoch (\d+), step (\d) of 2 \(global step \d+\): .*Likely cause: --wd 30 with --lr 0\.1: each step scales the weights by 1 - lr·wd = -2\. Options set: --wd 30, --batch 32\. The last good checkpoint \(epoch \d+\) is kept in /);
    expect(r.stderr).not.toMatch(/smaller --lr/);
    const [, epoch, step] = /diverged at epoch (\d+), step (\d)/.exec(r.stderr)!;
    const kept = readCheckpointInfo(runFiles(out).checkpoint);
    expect(kept.epoch).toBe(Number(epoch) - 1);
    expect(Number(step)).toBeGreaterThanOrEqual(1);
    expect(kept.epoch >= 1 || readFileSync(runFiles(out).checkpoint).equals(good)).toBe(true);
  });
});

describe("--resume", () => {
  it("with another --epochs is refused for a cosine schedule (the rate would go back up), allowed for a constant one", async () => {
    const out = join(tempDir(), "run");
    expect((await run([...TINY, "--schedule", "cosine", "--epochs", "1", "--out", out])).code).toBe(0);
    const r = await run(["train", "--resume", "--out", out, "--epochs", "3"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("mmx train --resume: --epochs 3 would change the run's cosine schedule, which spans its 1 epochs (the learning rate of every later step would differ from the run's); resume with --epochs 1, or start a new run\n");
    const constant = join(tempDir(), "constant");
    expect((await run([...TINY, "--epochs", "1", "--out", constant])).code).toBe(0);
    expect((await run(["train", "--resume", "--out", constant, "--epochs", "2", "--quiet"])).code).toBe(0);
    expect(readCheckpointInfo(runFiles(constant).checkpoint).epoch).toBe(2);
  });

  it("with a corrupt metrics.json names the file", async () => {
    const out = join(tempDir(), "run");
    expect((await run([...TINY, "--epochs", "1", "--out", out])).code).toBe(0);
    writeFileSync(runFiles(out).metrics, '{"epochs": [');
    const r = await run(["train", "--resume", "--out", out, "--epochs", "2", "--quiet"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^mmx: ${runFiles(out).metrics} is not valid JSON \\(.*\\); repair or delete it`));
    writeFileSync(runFiles(out).metrics, '{"epochs": [{"epoch": 2}]}');
    expect((await run(["train", "--resume", "--out", out, "--epochs", "2", "--quiet"])).stderr).toMatch(/metrics\.json has undefined as 'step' of record 0; it must be a whole number >= 0; repair or delete it/);
  });
});

describe("the state check", () => {
  it("finds NaN and ±Inf anywhere in the state, on wasm and (where it runs) onnx, and names where", async () => {
    const { np, setBackend, getBackend, dispose } = await import("@mmx/core");
    const { nonFiniteIn } = await import("./divergence.js");
    const backends = ["wasm"];
    try {
      await import("@mmx/onnx");
      await setBackend("onnx");
      backends.push("onnx");
    } catch (e) {
      console.log(`skipped onnx: ${(e as Error).message.split("\n")[0]}`);
    }
    const before = getBackend();
    for (const backend of backends) {
      await setBackend(backend);
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
        const state = { params: { a: np.array([1, 2]), b: np.array([0, bad, 3]) }, opt: { count: np.array(3, { dtype: "int32" }) } };
        expect(nonFiniteIn(state), `${backend} ${bad}`).toBe("the updated state holds non-finite values (first at params.b)");
        dispose([state.params, state.opt]);
      }
      const fine = { w: np.array([3e38, -3e38, 0]) };
      expect(nonFiniteIn(fine), backend).toBeUndefined();
      dispose(fine);
    }
    await setBackend(before);
  });

  it("saveCheckpoint refuses non-finite arrays (nothing is written)", async () => {
    const { np, dispose } = await import("@mmx/core");
    const { saveCheckpoint } = await import("./checkpoint.js");
    const path = join(tempDir(), "c.mmx");
    const params = { w: np.array([1, Number.NaN]) };
    const config = JSON.parse(JSON.stringify({ dataset: "spirals" }));
    await expect(saveCheckpoint(path, { config, epoch: 1, step: 1, backend: "wasm", params, opt: {}, modelState: {} })).rejects.toThrow(/refusing to write .*c\.mmx: array 0 \(float32 \[2\]\) holds non-finite values/);
    expect(existsSync(path)).toBe(false);
    dispose(params);
  });
});

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

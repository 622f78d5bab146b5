import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_LR } from "./config.js";
import { run, tempDir } from "./test-helpers.js";

describe("mmx train's default learning rate", () => {
  // 400 steps of the spiral net with the default BCE loss and no --lr: the default must train it well past
  // chance (50%). The former default, 0.1, left this run at 34-50% error depending on the backend.
  it("trains the spiral net on a small spirals run", async () => {
    const out = join(tempDir(), "run");
    const r = await run(["train", "--dataset", "spirals", "--n-train", "1000", "--n-test", "500", "--batch", "50", "--epochs", "20", "--method", "none", "--quiet", "--out", out]);
    expect(r.code, r.stderr).toBe(0);
    const { config, epochs } = JSON.parse(readFileSync(join(out, "metrics.json"), "utf8"));
    expect(config.lr).toBe(DEFAULT_LR.spirals.bce);
    expect(epochs.at(-1).testError).toBeLessThan(0.3);
  }, 120_000);

  it("follows the loss on 10 classes: BCE's gradients are about a tenth of cross-entropy's", async () => {
    const lrOf = async (loss: string) => {
      const out = join(tempDir(), "run");
      const r = await run(["train", "--dataset", "fashion-mnist", "--loss", loss, "--train-limit", "100", "--test-limit", "50", "--batch", "50", "--epochs", "1", "--quiet", "--out", out]);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(readFileSync(join(out, "config.json"), "utf8")).lr;
    };
    expect([await lrOf("bce"), await lrOf("ce")]).toEqual([0.5, 0.1]);
  }, 120_000);
});

import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseArgs, typedOption } from "./args.js";
import { conflictingOptions, TRAIN_OPTIONS } from "./config.js";
import { run, tempDir } from "./test-helpers.js";

describe("errors name a flag as the user typed it", () => {
  it("typedOption: --no-NAME for a flag turned off, --NAME otherwise", () => {
    const args = parseArgs(["--no-self-pairs", "--nesterov", "--lr", "0.1", "--lambda-max=false"], TRAIN_OPTIONS, "train");
    expect(typedOption(args, "self-pairs")).toBe("--no-self-pairs");
    expect(typedOption(args, "lambda-max")).toBe("--no-lambda-max");
    expect(typedOption(args, "nesterov")).toBe("--nesterov");
    expect(typedOption(args, "lr")).toBe("--lr");
    // In the option table's order.
    expect(conflictingOptions(args)).toEqual(["--no-lambda-max", "--no-self-pairs", "--lr", "--nesterov"]);
  });

  it("mmx train --resume with a negated flag: the error says to drop the flag as typed, exit 2", async () => {
    const out = join(tempDir(), "run");
    const tiny = ["--dataset", "spirals", "--n-train", "64", "--n-test", "32", "--batch", "16", "--hidden", "8", "--epochs", "1", "--quiet", "--out", out];
    expect((await run(["train", ...tiny, "--method", "manifold"])).code).toBe(0);
    const cases: [string[], string][] = [
      [["--no-self-pairs"], "drop --no-self-pairs "],
      [["--no-nesterov"], "drop --no-nesterov "],
      [["--no-lambda-max"], "drop --no-lambda-max "],
      [["--no-patchup-loss"], "drop --no-patchup-loss "],
      [["--self-pairs"], "drop --self-pairs "],
      [["--no-self-pairs", "--lr", "0.2", "--no-nesterov"], "drop --no-self-pairs, --lr, --no-nesterov "],
    ];
    for (const [flags, expected] of cases) {
      const r = await run(["train", "--resume", "--out", out, "--epochs", "2", ...flags]);
      expect(r.code, flags.join(" ")).toBe(2);
      const lines = r.stderr.trim().split("\n");
      expect(lines, flags.join(" ")).toHaveLength(1);
      expect(lines[0], flags.join(" ")).toContain(`mmx train --resume continues the run saved in ${out} with its own settings; ${expected}(only --epochs`);
    }
  }, 60_000);

  it("a negated flag that does not fit the method is named as typed", async () => {
    const cases: [string[], string][] = [
      [["--method", "none", "--no-self-pairs"], "mmx: --no-self-pairs has no effect with --method none"],
      [["--method", "none", "--no-lambda-max"], "mmx: --no-lambda-max has no effect with --method none"],
      [["--method", "manifold", "--no-patchup-loss"], "mmx: --no-patchup-loss applies to --method cutmix, --method patchup; this run is --method manifold"],
      [["--method", "manifold", "--patchup-loss"], "mmx: --patchup-loss applies to --method cutmix, --method patchup; this run is --method manifold"],
    ];
    for (const [argv, message] of cases) {
      const r = await run(["train", "--quiet", "--out", join(tempDir(), "x"), ...argv]);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.stderr.trim(), argv.join(" ")).toBe(message);
    }
  });
});

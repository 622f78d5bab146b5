import { describe, expect, it } from "vitest";
import { parseArgs } from "./args.js";
import { DEFAULT_EPOCHS, TRAIN_OPTIONS, trainConfigFromArgs } from "./config.js";
import { run } from "./test-helpers.js";

const configOf = (argv: string[]) => trainConfigFromArgs(parseArgs(argv, TRAIN_OPTIONS, "train"));

describe("mmx train's default epochs", () => {
  it("depend on the dataset: enough for the spiral net to learn, the former 10 on the image datasets", () => {
    expect(configOf([]).epochs).toBe(100);
    expect(configOf(["--dataset", "spirals"]).epochs).toBe(100);
    expect(configOf(["--dataset", "fashion-mnist"]).epochs).toBe(10);
    expect(configOf(["--dataset", "mnist"]).epochs).toBe(10);
    expect(configOf(["--dataset", "cifar10"]).epochs).toBe(10);
    expect(DEFAULT_EPOCHS).toEqual({ spirals: 100, "fashion-mnist": 10, mnist: 10, cifar10: 10 });
  });

  it("give way to --epochs", () => {
    expect(configOf(["--epochs", "7"]).epochs).toBe(7);
    expect(configOf(["--dataset", "fashion-mnist", "--epochs", "30"]).epochs).toBe(30);
  });

  it("are stated in --help", async () => {
    const r = await run(["train", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--epochs N\s+epochs to train \(with --resume: the new total\) \(default: 100 on spirals; 10 on fashion-mnist, mnist, cifar10\)/);
  });
});

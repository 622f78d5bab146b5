import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decimal, parseArgs, type OptionSpec } from "./args.js";
import { availableBackends } from "@mmx/core";
import { listChoices, UsageError } from "./errors.js";
import { run, tempDir } from "./test-helpers.js";

const SPECS: OptionSpec[] = [
  { name: "epochs", kind: "int", help: "" },
  { name: "lr", kind: "number", help: "" },
  { name: "method", kind: "string", choices: ["none", "input", "manifold"], help: "" },
  { name: "layers", kind: "list", help: "" },
  { name: "resume", kind: "flag", help: "" },
];

describe("parseArgs", () => {
  it("reads --name value, --name=value, flags, --no-flag, lists and positionals", () => {
    const a = parseArgs(["runs/x", "--epochs", "3", "--lr=0.05", "--method", "input", "--layers", "0, 1,2", "--resume"], SPECS, "t", { maxPositionals: 1 });
    expect(a.values).toEqual({ epochs: 3, lr: 0.05, method: "input", layers: ["0", "1", "2"], resume: true });
    expect(a.positionals).toEqual(["runs/x"]);
    expect(parseArgs(["--no-resume"], SPECS, "t").values).toEqual({ resume: false });
    expect(parseArgs(["--lr", "-1e-3"], SPECS, "t").values).toEqual({ lr: -0.001 });
    expect(parseArgs(["-h"], SPECS, "t").help).toBe(true);
  });

  it("names the culprit and lists what is valid", () => {
    const fail = (argv: string[]) => {
      try {
        parseArgs(argv, SPECS, "train");
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message;
      }
      throw new Error(`no error for ${argv.join(" ")}`);
    };
    expect(fail(["--epoch", "3"])).toBe("mmx train: unknown option '--epoch' (did you mean 'epochs'?); valid options: --epochs, --lr, --method, --layers, --resume");
    expect(fail(["--method", "manfold"])).toBe("mmx train: --method: unknown value 'manfold' (did you mean 'manifold'?); valid values: 'none', 'input' or 'manifold'");
    expect(fail(["--epochs", "2.5"])).toMatch(/--epochs must be a whole number, got '2.5'/);
    expect(fail(["--lr", "fast"])).toMatch(/--lr must be a number, got 'fast'/);
    expect(fail(["--lr"])).toMatch(/option --lr needs a value \(a number\)/);
    expect(fail(["--epochs", "--lr", "1"])).toMatch(/--epochs needs a value/);
    expect(fail(["--epochs", "1", "--epochs", "2"])).toMatch(/given twice/);
    expect(fail(["--resume=yes"])).toMatch(/--resume is a flag; it takes no value/);
    expect(fail(["--layers", "0,,1"])).toMatch(/without empty items/);
    expect(fail(["-e", "1"])).toMatch(/options take two dashes/);
    expect(fail(["stray"])).toMatch(/unexpected argument 'stray'/);
  });
});

describe("mmx errors", () => {
  it("an unknown command, dataset, model or backend lists the valid ones (exit status 2)", async () => {
    const cmd = await run(["trian"]);
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toBe("mmx: unknown command 'trian' (did you mean 'train'?); valid commands: 'train', 'eval', 'attack', 'spectra', 'reproduce', 'sweep' or 'worker'\n");

    const dataset = await run(["train", "--dataset", "imagenet"]);
    expect(dataset.code).toBe(2);
    expect(dataset.stderr).toMatch(/--dataset: unknown value 'imagenet'; valid values: 'spirals', 'fashion-mnist', 'mnist' or 'cifar10'/);

    const model = await run(["train", "--model", "resnet"]);
    expect(model.stderr).toMatch(/--model: unknown value 'resnet'; valid values: 'spiral-net', 'mlp', 'small-cnn', 'preact-resnet18', 'preact-resnet34' or 'wide-resnet-28-10'/);

    const misfit = await run(["train", "--dataset", "spirals", "--model", "small-cnn"]);
    expect(misfit.code).toBe(2);
    expect(misfit.stderr).toMatch(/model 'small-cnn' takes 28x28x1 images, but spirals has examples of shape \[2\]; models for spirals: 'spiral-net' or 'mlp'/);

    const out = tempDir();
    const backend = await run(["train", "--backend", "tpu", "--out", out, "--epochs", "1", "--n-train", "64", "--n-test", "32", "--batch", "32"]);
    expect(backend.code).toBe(2);
    // What is available depends on the machine (a Vulkan driver, onnxruntime): the expectation comes from core.
    await import("@mmx/onnx").catch(() => undefined);
    const here = (await availableBackends()).filter((b) => b.available).map((b) => b.name);
    expect(here).toContain("onnx");
    expect(backend.stderr).toBe(`mmx: unknown backend 'tpu' (did you mean 'cpu'?); valid backends: 'cpu', 'wasm', 'webgl', 'webgpu', 'tensorflow' or 'onnx' (available here: ${listChoices(here)})\n`); // one line, nothing before it
  });

  it("checks option combinations and layer names against the model", async () => {
    expect((await run(["train", "--method", "none", "--alpha", "1"])).stderr).toMatch(/--alpha has no effect with --method none/);
    expect((await run(["train", "--method", "input", "--layers", "1"])).stderr).toMatch(/^mmx: --layers applies to methods that mix at an eligible set \(--method manifold, --method patchup, --method nfm\); input mixup mixes at the input, layer 0$/m);
    expect((await run(["train", "--layers", "0,hidden9"])).stderr).toMatch(/--layers: the model has no boundary named 'hidden9'; its boundaries are 0 input, 1 hidden1, 2 hidden2, 3 bottleneck, 4 hidden3, 5 hidden4, 6 out/);
    expect((await run(["train", "--layers", "6"])).stderr).toMatch(/6 \(out\) is the model's output/);
    expect((await run(["train", "--dataset", "fashion-mnist", "--n-train", "10"])).stderr).toMatch(/--n-train applies to --dataset spirals only/);
    expect((await run(["train", "--schedule", "multistep"])).stderr).toMatch(/--schedule multistep needs --milestones/);
    expect((await run(["train", "--resume"])).stderr).toMatch(/--resume needs --out DIR/);
    expect((await run(["eval"])).stderr).toMatch(/mmx eval needs a run folder/);
    expect((await run(["eval", "/nonexistent/run"])).stderr).toMatch(/no run folder at \/nonexistent\/run/);
    expect((await run(["reproduce", "--preset", "huge"])).stderr).toMatch(/valid values: 'tiny', 'default' or 'full'/);
  });

  it("a missing data file names its path", async () => {
    const dir = tempDir();
    const r = await run(["train", "--dataset", "cifar10", "--data-dir", dir, "--out", tempDir()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cifar10: missing data file ${dir}/data_batch_1.bin`);
    expect((await run(["train", "--dataset", "cifar10"])).stderr).toMatch(/cifar10 needs --data-dir DIR/);
  });

  it("prints usage and per-command help", async () => {
    const usage = await run(["--help"]);
    expect(usage.code).toBe(0);
    expect(usage.stdout).toMatch(/usage: mmx <command>/);
    const help = await run(["train", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--method none\|input\|manifold\|cutmix\|patchup\|nfm\|regmixup +none: no mixup; input: input mixup; manifold: manifold mixup; cutmix: CutMix; patchup: PatchUp; nfm: Noisy Feature Mixup; regmixup: RegMixup \(default: manifold\)/);
  });
});

describe("numbers are read as decimals only", () => {
  it("any finite number as JavaScript prints it reads back as itself", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        // String(-0) is "0".
        expect(decimal(String(x))).toBe(Object.is(x, -0) ? 0 : x);
      }),
    );
  });

  it("hex, binary, octal, empty, unicode digits and separators are not numbers (Number() would read the first three, and '' as 0)", () => {
    const notDecimal = fc.oneof(
      fc.tuple(fc.constantFrom("0x", "0X", "0b", "0o", "-0x"), fc.stringMatching(/^[0-9a-f]{1,4}$/)).map(([p, d]) => p + d),
      fc.constantFrom("", " ", "٣", "３", "1_000", "1,5", "Infinity", "-Infinity", "NaN", "1e", "e5", ".", "+-1", "1..2", "1e1.5", "\u00a0"),
    );
    fc.assert(
      fc.property(notDecimal, (text) => {
        expect(decimal(text)).toBeNaN();
        expect(() => parseArgs(["--lr", text], SPECS, "t")).toThrow(UsageError);
        expect(() => parseArgs([`--epochs=${text}`], SPECS, "t")).toThrow(UsageError);
      }),
    );
  });
});

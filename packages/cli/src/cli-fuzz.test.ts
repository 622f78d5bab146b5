import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { OptionSpec } from "./args.js";
import { ATTACK_OPTIONS, EVAL_OPTIONS, SPECTRA_OPTIONS } from "./commands.js";
import { TRAIN_OPTIONS } from "./config.js";
import { REPRODUCE_OPTIONS } from "./reproduce/command.js";
import { run, tempDir } from "./test-helpers.js";

/** Values no option accepts, or only some: out of range, not numbers, too big, empty, odd paths. */
const HOSTILE = ["-1", "0", "1e20", "NaN", "Infinity", "-0", "1.5", "", "abc", "0x10", "0b11", "٣", "1_0", "1e-400", " ", "9007199254740993", "-1e308", "2,3", ",", "../x", "\u0000", "--", "-h", "/"];

/** What a valid value looks like, per option, kept small so that a run the generator makes valid finishes in a moment. */
const VALID: Readonly<Record<string, readonly string[]>> = {
  dataset: ["spirals", "fashion-mnist", "cifar10"], model: ["spiral-net", "mlp", "small-cnn"], hidden: ["4", "2,2"], method: ["none", "input", "manifold"],
  alpha: ["0.5", "2"], layers: ["0", "1,2", "bottleneck", "6"], loss: ["bce", "ce"], epochs: ["1", "2"], batch: ["16", "32"], lr: ["0.05", "1e300"],
  momentum: ["0", "0.9", "1"], wd: ["0", "1e-4", "1e5"], schedule: ["constant", "cosine", "multistep"], milestones: ["1", "1,2"], seed: ["0", "7"],
  backend: ["wasm", "tpu"], "train-limit": ["8"], "test-limit": ["8"], "n-train": ["32", "64"], "n-test": ["16", "32"], noise: ["0", "0.1"],
  "data-seed": ["0", "3"], split: ["test", "train"], eps: ["0", "0.05"], steps: ["1", "2"], "step-size": ["0.01"], layer: ["0", "bottleneck", "9"],
  top: ["1", "3"], regime: ["standard", "small-data"], preset: ["tiny", "default", "full"], jobs: ["1", "2"],
  "cutmix-minmax": ["0.2,0.5", "0.5,0.2"], "switch-prob": ["0.5"], "patchup-gamma": ["0.3"], "patchup-block-size": ["2"], "patchup-mode": ["soft"],
  "noise-add": ["0.1"], "noise-mult": ["0.1"], "regmixup-weight": ["0.5"], ways: ["2", "3"], "alpha-schedule": ["cosine"], "mixup-off-epoch": ["1"],
  "bn-policy": ["clean"], "mix-at": ["tag"],
};

/**
 * An argument vector for a command: up to four of its options, each with a valid value (mostly) or a
 * hostile one, the `fixed` options always, and stray tokens now and then.
 */
function argvFor(specs: readonly OptionSpec[], fixed: Record<string, fc.Arbitrary<string | undefined>>): fc.Arbitrary<string[]> {
  const valueOf = (s: OptionSpec): fc.Arbitrary<string[]> =>
    s.kind === "flag"
      ? fc.constantFrom("", "", "", "=false", "=maybe").map((v) => [`--${s.name}${v}`])
      : fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...(VALID[s.name] ?? ["x"])) }, { weight: 1, arbitrary: fc.constantFrom(...HOSTILE) }).map((v) => [`--${s.name}`, v]);
  const free = specs.filter((s) => !(s.name in fixed));
  const chosen = fc.subarray(free, { maxLength: Math.min(4, free.length) }).chain((picked) => (picked.length === 0 ? fc.constant([] as string[][]) : fc.tuple(...picked.map(valueOf))));
  const pinned = fc.tuple(...Object.entries(fixed).map(([name, value]) => value.map((v) => (v === undefined ? [] : specs.find((s) => s.name === name)?.kind === "flag" ? [`--${name}`] : [`--${name}`, v]))));
  const extra = fc.array(fc.constantFrom("--bogus", "-x", "stray", "--epochs", "--no-quiet", "--=1"), { maxLength: 1 });
  return fc.tuple(chosen, pinned, fc.oneof({ weight: 5, arbitrary: fc.constant([] as string[]) }, { weight: 1, arbitrary: extra })).map(([a, b, c]) => [...a.flat(), ...b.flat(), ...c]);
}

/** Runs mmx and checks the contract: exit 0 or 2, never a stack trace, an error is one line. */
async function expectNoCrash(argv: string[]): Promise<void> {
  const r = await run(argv);
  const context = `mmx ${argv.map((a) => JSON.stringify(a)).join(" ")}\n${r.stderr}`;
  expect([0, 2], context).toContain(r.code);
  expect(r.stderr, context).not.toMatch(/\n\s+at |internal error|This is a bug/);
  if (r.code === 2) expect(r.stderr.trim().split("\n").pop(), context).toMatch(/^mmx/);
}

const RUNS = 25;
let runDir = "";
let file = "";
let empty = "";
let broken = "";

beforeAll(async () => {
  const dir = tempDir();
  runDir = join(dir, "run");
  const trained = await run(["train", "--n-train", "64", "--n-test", "32", "--batch", "32", "--hidden", "4", "--epochs", "1", "--backend", "wasm", "--quiet", "--out", runDir]);
  expect(trained.code).toBe(0);
  file = join(dir, "file");
  writeFileSync(file, "x");
  empty = join(dir, "empty");
  mkdirSync(empty);
  broken = join(dir, "broken");
  mkdirSync(broken);
  writeFileSync(join(broken, "checkpoint.mmx"), "MMXCKPT2garbage");
});

describe("flags are checked before anything loads, each error naming its flag", () => {
  it("--seed 1e20, --steps 0, --step-size -1, --top -2, --pgd with --eps 0, --lr 0", async () => {
    const cases: [string[], string][] = [
      [["train", "--seed", "1e20"], "mmx train: --seed must be a whole number of at most 9007199254740991 in size, got '1e20'\n"],
      [["train", "--lr", "0"], "mmx train: --lr must be > 0, got '0'\n"],
      [["train", "--momentum", "-0.5"], "mmx train: --momentum must be in [0, 1), got '-0.5'\n"],
      [["train", "--momentum", "1"], "mmx train: --momentum must be in [0, 1), got '1'\n"],
      [["train", "--lr", "0x10"], "mmx train: --lr must be a number, got '0x10'\n"],
      [["train", "--epochs="], "mmx train: --epochs must be a whole number, got ''\n"],
      [["train", "--hidden", "0b11"], "mmx: --hidden must list positive whole numbers, got '0b11'\n"],
      [["attack", "/nonexistent", "--pgd", "--steps", "0"], "mmx attack: --steps must be >= 1, got '0'\n"],
      [["attack", "/nonexistent", "--pgd", "--step-size", "-1"], "mmx attack: --step-size must be > 0, got '-1'\n"],
      [["attack", "/nonexistent", "--pgd", "--eps", "0"], "mmx attack: --pgd with --eps 0 has no default step size (eps/4 = 0); give --eps > 0 or --step-size\n"],
      [["spectra", "/nonexistent", "--top", "-2"], "mmx spectra: --top must be >= 1, got '-2'\n"],
      [["reproduce", "--jobs", "0"], "mmx reproduce: --jobs must be >= 1, got '0'\n"],
      [["train", "--n-train", "1e12"], "mmx train: --n-train must be in [1, 10000000], got '1e12'\n"],
      [["train", "--hidden", "1e20"], "mmx: --hidden must list positive whole numbers, got '1e20'\n"],
    ];
    for (const [argv, message] of cases) {
      const r = await run(argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.stderr, argv.join(" ")).toBe(message);
    }
    // Valid, but too large to allocate: the user's choice, not a crash.
    const huge = await run(["train", "--hidden", "100000", "--n-train", "64", "--batch", "32", "--backend", "wasm", "--quiet", "--out", join(tempDir(), "run")]);
    expect(huge.code).toBe(2);
    expect(huge.stderr).toMatch(/^mmx: the model is too large to allocate with --hidden 100000: .*\n$/);
  });
});

describe("generated argument vectors never crash mmx (exit 0 or 2, no stack trace)", () => {
  it("train", async () => {
    // Odd folder names, but always inside a fresh temporary folder: a valid run must not land in the working directory.
    const links = { loop: () => { const d = tempDir(); symlinkSync(join(d, "loop"), join(d, "loop")); return join(d, "loop"); }, dangling: () => { const d = tempDir(); symlinkSync(join(d, "none"), join(d, "dangling")); return join(d, "dangling"); } };
    const out = fc
      .oneof({ weight: 4, arbitrary: fc.constant("run") }, { weight: 1, arbitrary: fc.constantFrom(...HOSTILE, "under-file", "loop", "dangling") })
      .map((o) => (o === "under-file" ? join(file, "run") : o === "loop" || o === "dangling" ? links[o]() : o.includes("\0") ? `${tempDir()}/${o}` : join(tempDir(), o)));
    // Small runs unless the generator overrides these: a valid vector trains for a moment, not minutes.
    const small = { "n-train": fc.constant("64"), "n-test": fc.constant("32"), batch: fc.constant("32"), epochs: fc.constant("1"), hidden: fc.constant("4") };
    await fc.assert(fc.asyncProperty(argvFor(TRAIN_OPTIONS, { out, resume: fc.constant(undefined), quiet: fc.constant(""), backend: fc.constant("wasm"), ...small }), async (argv) => expectNoCrash(["train", ...argv])), { numRuns: 2 * RUNS });
  });

  for (const [command, specs] of [["eval", EVAL_OPTIONS], ["attack", ATTACK_OPTIONS], ["spectra", SPECTRA_OPTIONS]] as const) {
    it(command, async () => {
      const folder = fc.constantFrom(() => runDir, () => file, () => empty, () => broken, () => "/nonexistent/run").map((f) => f());
      const positional = fc.option(folder, { freq: 4, nil: undefined }).map((f) => (f === undefined ? [] : [f]));
      await fc.assert(
        fc.asyncProperty(positional, argvFor(specs, { run: fc.option(folder, { freq: 1, nil: undefined }), backend: fc.option(fc.constantFrom("wasm", "tpu", ""), { freq: 2, nil: undefined }) }), async (pos, argv) => expectNoCrash([command, ...pos, ...argv])),
        { numRuns: RUNS },
      );
    });
  }

  it("reproduce (its --out always unusable, so nothing trains)", async () => {
    const out = fc.constantFrom(() => file, () => join(file, "r")).map((f) => f());
    await fc.assert(fc.asyncProperty(argvFor(REPRODUCE_OPTIONS, { out, quiet: fc.constant("") }), async (argv) => expectNoCrash(["reproduce", ...argv])), { numRuns: RUNS });
  });

  it("--resume of a run with hostile options", async () => {
    await fc.assert(
      fc.asyncProperty(argvFor(TRAIN_OPTIONS.filter((s) => ["epochs", "backend", "lr", "seed"].includes(s.name)), {}), async (argv) => expectNoCrash(["train", "--resume", "--out", runDir, "--quiet", ...argv])),
      { numRuns: RUNS },
    );
  });

  it("any command with random tokens", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("train", "eval", "attack", "spectra", "reproduce", "trian", ""), fc.array(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom(...HOSTILE)), { maxLength: 5 }), async (command, rest) => {
        // A reproduce or train that these tokens happened to make valid would start a long job: give it an unusable --out.
        const guard = command === "train" || command === "reproduce" ? ["--out", join(file, "x")] : [];
        await expectNoCrash([command, ...rest, ...guard]);
      }),
      { numRuns: 2 * RUNS },
    );
  });
});

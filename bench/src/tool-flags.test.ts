import { describe, expect, it } from "vitest";
import { finiteNumber, flagsUsage, oneOf, parseFlags, parsed, someOf, switchOn, text, wholeNumber } from "./tool-flags.js";

const FLAGS = {
  workload: oneOf(["mlp", "cnn"] as const),
  modes: someOf(["plain", "input", "manifold"] as const),
  rounds: wholeNumber(1),
  top: wholeNumber(0),
  tolerance: finiteNumber,
  python: text("PATH"),
  sessionB: parsed("key=value", (v, flag) => {
    const [k, value] = v.split("=");
    if (!k || value === undefined) throw new Error(`${flag}: expected key=value, got '${v}'`);
    return { [k]: value };
  }),
  keepEnv: switchOn,
};
const DEFAULTS = { workload: "cnn" as "mlp" | "cnn", modes: ["plain"] as ("plain" | "input" | "manifold")[], rounds: 40, top: 25, tolerance: 1e-3, python: "/usr/bin/python3", sessionB: {} as Record<string, string>, keepEnv: false };
const parse = (argv: string[]) => parseFlags(argv, DEFAULTS, FLAGS);

describe("the bench tools' flags", () => {
  it("keeps the defaults, and reads each flag (kebab case of its option) through its reader", () => {
    expect(parse([])).toEqual(DEFAULTS);
    expect(parse(["--workload", "mlp", "--modes", "input,manifold", "--rounds", "3", "--top", "0", "--tolerance", "-1e-2", "--python", "/opt/py", "--session-b", "a.b=1", "--keep-env"])).toEqual({
      workload: "mlp",
      modes: ["input", "manifold"],
      rounds: 3,
      top: 0,
      tolerance: -0.01,
      python: "/opt/py",
      sessionB: { "a.b": "1" },
      keepEnv: true,
    });
  });

  it("rejects a bad value, a missing one and an unknown flag in one line that names the flag", () => {
    expect(() => parse(["--rounds", "0"])).toThrow("--rounds: expected an integer >= 1, got '0'");
    expect(() => parse(["--rounds", "2.5"])).toThrow("--rounds: expected an integer >= 1, got '2.5'");
    expect(() => parse(["--top", ""])).toThrow("--top: expected an integer >= 0, got ''");
    expect(() => parse(["--tolerance", "tiny"])).toThrow("--tolerance: expected a number, got 'tiny'");
    expect(() => parse(["--workload", "rnn"])).toThrow("--workload: expected one of mlp, cnn, got 'rnn'");
    expect(() => parse(["--modes", "plain,mixed"])).toThrow("--modes: expected one of plain, input, manifold, got 'mixed'");
    expect(() => parse(["--session-b", "x"])).toThrow("--session-b: expected key=value, got 'x'");
    expect(() => parse(["--rounds"])).toThrow("--rounds needs a value (N)");
    expect(() => parse(["--round", "3"])).toThrow(
      "unknown option --round; options: --workload mlp|cnn --modes plain,input,manifold --rounds N --top N --tolerance X --python PATH --session-b key=value --keep-env",
    );
    expect(flagsUsage({ keepEnv: switchOn })).toBe("--keep-env");
  });
});

import { describe, expect, it } from "vitest";
import { usage } from "./main.js";
import { run } from "./test-helpers.js";

// Every command's --help, as a user reads it: no doubled words from an option's default text, no value that
// never made it into the text.
const commands = usage().split("\n").map((l) => /^ {2}([a-z]+) {2,}/.exec(l)?.[1]).filter((c): c is string => c !== undefined);

describe("mmx <command> --help", () => {
  it("lists the commands", () => {
    expect(commands).toEqual(expect.arrayContaining(["train", "eval", "attack", "spectra", "reproduce"]));
  });

  it.each(commands)("mmx %s --help reads cleanly", async (command) => {
    const r = await run([command, "--help"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(new RegExp(`^mmx ${command}`));
    expect(r.stdout).not.toMatch(/\b(\w+) \1\b/);
    expect(r.stdout).not.toMatch(/undefined|NaN|\[object |\(default: \)/);
  });
});

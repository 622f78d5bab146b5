import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "./test-helpers.js";

// bin/mmx.mjs is what npm links as `mmx` (and what `npx mmx` runs): it must exist before a build, run the
// built CLI with the user's arguments, and say plainly when there is no build to run.
const launcher = join(import.meta.dirname, "..", "bin", "mmx.mjs");

function installedCopy(withDist: boolean): string {
  const pkg = join(tempDir("mmx-launcher-"), "cli");
  mkdirSync(join(pkg, "bin"), { recursive: true });
  copyFileSync(launcher, join(pkg, "bin", "mmx.mjs"));
  if (withDist) {
    mkdirSync(join(pkg, "dist"));
    writeFileSync(join(pkg, "dist", "bin.js"), "process.stdout.write(JSON.stringify(process.argv.slice(2)));\n");
  }
  return pkg;
}

describe("the mmx launcher (bin/mmx.mjs)", () => {
  it("runs dist/bin.js with the arguments it was given", () => {
    const r = spawnSync(process.execPath, [join(installedCopy(true), "bin", "mmx.mjs"), "train", "--help"], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual(["train", "--help"]);
    expect(r.status).toBe(0);
  });

  it("outside the repository, a missing build is a one-line error naming the missing file", () => {
    const pkg = installedCopy(false);
    const r = spawnSync(process.execPath, [join(pkg, "bin", "mmx.mjs"), "--help"], { encoding: "utf8" });
    expect(r.stderr).toBe(`mmx: ${join(pkg, "dist", "bin.js")} is missing: this @mmx/cli has not been built\n`);
    expect(r.status).toBe(1);
  });
});

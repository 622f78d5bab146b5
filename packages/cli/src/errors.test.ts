import { describe, expect, it } from "vitest";
import { asUserError, UsageError } from "./errors.js";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { main, REPORT_BUG } from "./main.js";
import { run, tempDir } from "./test-helpers.js";

describe("user errors and bugs", () => {
  it("a file-system failure of the user's machine (a full disk, no permission) is a user error naming the path", () => {
    const enospc = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC", syscall: "write", path: "/runs/x/checkpoint.mmx" });
    expect(asUserError(enospc)?.message).toBe("cannot write /runs/x/checkpoint.mmx: no space left on the device (ENOSPC)");
    const eacces = Object.assign(new Error("EACCES"), { code: "EACCES", syscall: "open", path: "/runs/x/metrics.json" });
    expect(asUserError(eacces)).toBeInstanceOf(UsageError);
    expect(asUserError(new TypeError("x is undefined"))).toBeUndefined();
    expect(asUserError(Object.assign(new Error("ENOENT"), { code: "ENOENT", path: "/a" }))).toBeUndefined();
  });

  it("a bug prints its stack and asks to be reported (exit 1)", async () => {
    // A failing stdout stands in for a bug: nothing the user typed causes it.
    let err = "";
    const code = await main(["eval", "--help"], { stdout: () => { throw new TypeError("stdout is closed"); }, stderr: { write: (t: string) => (err += t) } });
    const r = { code, err };
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^mmx eval: internal error: TypeError: stdout is closed\n\s+at /);
    expect(r.err.trim().split("\n").pop()).toBe(REPORT_BUG);
  });

  it("a malformed data file is a user error naming it (exit 2), not a bug", async () => {
    const dir = tempDir();
    for (const f of [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`).concat("test_batch.bin")) writeFileSync(join(dir, f), "short");
    const r = await run(["train", "--dataset", "cifar10", "--data-dir", dir, "--train-limit", "8", "--test-limit", "8", "--backend", "wasm", "--quiet", "--out", join(tempDir(), "run")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^mmx: .*${join(dir, "data_batch_1.bin")} is truncated or malformed: 5 bytes is not a whole number of 3073-byte records.*\n$`));
  });
});

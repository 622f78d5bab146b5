import { describe, expect, it } from "vitest";
import { asUserError, UsageError } from "./errors.js";
import { main, REPORT_BUG } from "./main.js";

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
});

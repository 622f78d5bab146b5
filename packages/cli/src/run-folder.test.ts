import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeJsonAtomic } from "./atomic-file.js";
import { readCheckpointInfo } from "./checkpoint.js";
import { UsageError } from "./errors.js";
import { acquireRunLock, checkOutFolder, LOCK_FILE } from "./run-folder.js";
import { runFiles } from "./run-files.js";
import { run, tempDir } from "./test-helpers.js";
import { spawnMmx } from "./testing-only/child.js";

const COMMON = ["--n-test", "32", "--batch", "32", "--hidden", "4", "--backend", "wasm", "--quiet"];
const TINY = ["--n-train", "64", ...COMMON];

/** The pid of a process that has exited: nothing runs under it now. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

describe("--out", () => {
  it("that is a file, lies under a file, or cannot be written is refused before any data loads", async () => {
    const dir = tempDir();
    const file = join(dir, "f");
    writeFileSync(file, "x");
    const isFile = await run(["train", ...TINY, "--out", file]);
    expect(isFile.code).toBe(2);
    expect(isFile.stderr).toBe(`mmx: --out ${file} is a file, not a folder; give a folder for the run\n`);
    const under = await run(["train", ...TINY, "--out", join(file, "a", "b")]);
    expect(under.code).toBe(2);
    expect(under.stderr).toBe(`mmx: --out ${join(file, "a", "b")} lies under ${file}, which is a file, not a folder\n`);
    // A folder that cannot be made (Node's own recursive mkdir never returns for one under /proc).
    if (existsSync("/proc/self")) expect((await run(["train", ...TINY, "--out", "/proc/mmx-no-such/run"])).stderr).toMatch(/^mmx: --out \/proc\/mmx-no-such\/run: cannot (make the folder \/proc\/mmx-no-such|write in \/proc)/);
    const reproduce = await run(["reproduce", "--preset", "tiny", "--out", join(file, "r")]);
    expect(reproduce.code).toBe(2);
    expect(reproduce.stderr).toMatch(/lies under .*which is a file/);
  });

  it("in a folder this user cannot write is refused", (ctx) => {
    if (process.getuid?.() === 0) return ctx.skip("running as root: permissions do not stop root, so a read-only folder cannot be made here");
    const dir = tempDir();
    const locked = join(dir, "ro");
    mkdirSync(locked);
    chmodSync(locked, 0o555);
    expect(() => checkOutFolder(join(locked, "run"))).toThrow(new UsageError(`--out ${join(locked, "run")}: cannot write in ${locked} (permission denied)`));
  });
});

describe("run-folder lock", () => {
  it("is taken with O_EXCL: a second holder is refused while the first lives, and can take it after release", () => {
    const dir = join(tempDir(), "run");
    const lock = acquireRunLock(dir, "mmx train");
    const held = JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8"));
    expect(held).toMatchObject({ pid: process.pid, host: hostname(), command: "mmx train" });
    expect(() => acquireRunLock(dir, "mmx train")).toThrow(new RegExp(`^${dir} is in use by mmx train \\(pid ${process.pid} on ${hostname()}, started .*\\); wait for it to finish or choose another --out$`));
    lock.release();
    // Made by the lock and left empty: removed again.
    expect(existsSync(dir)).toBe(false);
    acquireRunLock(dir, "mmx train").release();
  });

  it("left by a dead process on this host is taken over with a note; one from another host is not", () => {
    const dir = join(tempDir(), "run");
    mkdirSync(dir);
    const pid = deadPid();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid, host: hostname(), startedAt: "2026-01-01T00:00:00.000Z", command: "mmx train" }));
    // A temp file its writer never renamed (killed mid-write): removed once the folder is owned.
    writeFileSync(join(dir, `metrics.json.${pid}.0123456789ab.tmp`), "{");
    const notes: string[] = [];
    const lock = acquireRunLock(dir, "mmx train --resume", (l) => notes.push(l));
    expect(notes).toEqual([`note: ${dir} was locked by mmx train (pid ${pid}, started 2026-01-01T00:00:00.000Z), which is no longer running; taking it over`]);
    expect(readdirSync(dir)).toEqual([LOCK_FILE]);
    lock.release();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid, host: "elsewhere", startedAt: "2026-01-01T00:00:00.000Z", command: "mmx train" }));
    expect(() => acquireRunLock(dir, "mmx train")).toThrow(`; if that run is over, delete ${join(dir, LOCK_FILE)}`);
  });

  it("every writer has its own temp file: concurrent atomic writes never collide", () => {
    const dir = tempDir();
    const path = join(dir, "metrics.json");
    for (let i = 0; i < 20; i++) writeJsonAtomic(path, { i });
    expect(readdirSync(dir)).toEqual(["metrics.json"]);
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({ i: 19 });
  });

  it("two real `mmx train` processes into one --out: the second is refused while the first trains, and writes nothing", { timeout: 180_000 }, async () => {
    const out = join(tempDir(), "shared");
    const args = (seed: number, epochs: number) => ["train", ...COMMON, "--n-train", "256", "--epochs", String(epochs), "--seed", String(seed), "--out", out];
    // The first run trains far longer than the test lasts; the second starts once the first holds the folder.
    const first = spawnMmx(args(1, 100_000));
    let exited = false;
    void first.done.then(() => (exited = true));
    while (!exited && !existsSync(join(out, LOCK_FILE))) await new Promise((ok) => setTimeout(ok, 20));
    expect(exited).toBe(false);
    const second = await spawnMmx(args(2, 1)).done;
    expect(second.code, second.stderr).toBe(2);
    expect(second.stderr).toBe(`mmx: ${out} is in use by mmx train (pid ${first.child.pid} on ${hostname()}, started ${JSON.parse(readFileSync(join(out, LOCK_FILE), "utf8")).startedAt}); wait for it to finish or choose another --out\n`);
    first.child.kill("SIGKILL");
    await first.done;
    // Only the first run's files: the refused one wrote nothing.
    const files = runFiles(out);
    if (existsSync(files.config)) expect(JSON.parse(readFileSync(files.config, "utf8")).seed).toBe(1);
    if (existsSync(files.checkpoint)) expect(readCheckpointInfo(files.checkpoint).config.seed).toBe(1);
    if (existsSync(files.metrics)) expect(JSON.parse(readFileSync(files.metrics, "utf8")).config.seed).toBe(1);
  });
});

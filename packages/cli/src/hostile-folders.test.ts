import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { UsageError } from "./errors.js";
import { checkOutFolder, LOCK_FILE } from "./run-folder.js";
import { runFiles } from "./run-files.js";
import { run, tempDir } from "./test-helpers.js";
import { expectRefused } from "./testing-only/expect-refused.js";

const TINY = ["--n-train", "64", "--n-test", "32", "--batch", "32", "--hidden", "4", "--epochs", "1", "--backend", "wasm", "--quiet"];

let base = "";
beforeAll(async () => {
  base = join(tempDir(), "base");
  const trained = await run(["train", ...TINY, "--out", base]);
  expect(trained.code, trained.stderr).toBe(0);
});

/** A copy of the trained run, edited by `edit`. */
function runCopy(edit: (dir: string) => void): string {
  const dir = join(tempDir(), "run");
  cpSync(base, dir, { recursive: true });
  edit(dir);
  return dir;
}

/** Rewrites a run's checkpoint header as a hand edit would, CRC fixed up. */
function editHeader(dir: string, edit: (header: Record<string, any>) => void): void {
  const path = runFiles(dir).checkpoint;
  const bytes = readFileSync(path);
  const length = bytes.readUInt32LE(8);
  const header = JSON.parse(bytes.subarray(16, 16 + length).toString("utf8"));
  edit(header);
  const json = Buffer.from(JSON.stringify(header));
  const data = bytes.subarray(16 + length);
  const prefix = Buffer.alloc(8);
  prefix.writeUInt32LE(json.length, 0);
  prefix.writeUInt32LE(crc32(data, crc32(json)), 4);
  writeFileSync(path, Buffer.concat([bytes.subarray(0, 8), prefix, json, data]));
}

const mkfifo = (path: string) => execFileSync("mkfifo", [path]);

describe("odd --out paths are one-line errors naming the path", () => {
  const cases: [string, (dir: string) => string, RegExp][] = [
    ["a symbolic link to itself", (d) => { symlinkSync(join(d, "loop"), join(d, "loop")); return join(d, "loop"); }, /^mmx: --out \S+\/loop is a symbolic link that leads back to itself \(ELOOP\)$/],
    ["a folder under such a link", (d) => { symlinkSync(join(d, "loop"), join(d, "loop")); return join(d, "loop", "run"); }, /^mmx: --out \S+\/loop\/run lies under \S+\/loop, which is a symbolic link that leads back to itself/],
    ["a link to nothing", (d) => { symlinkSync(join(d, "nowhere"), join(d, "dangling")); return join(d, "dangling"); }, /^mmx: --out \S+\/dangling is a symbolic link to \S+\/nowhere, which does not exist/],
    ["a folder whose config.json is not a run's", (d) => { writeFileSync(join(d, "config.json"), '{"mine": true}'); return d; }, /^mmx: --out \S+ holds a config.json that is not a run's \(.*unknown field 'mine'.*\); a new run would overwrite it/],
    ["a folder whose metrics.json is not a run's", (d) => { writeFileSync(join(d, "metrics.json"), "[1, 2]"); return d; }, /^mmx: --out \S+ holds a metrics.json that is not a run's/],
  ];
  for (const [what, make, message] of cases) {
    it(what, async () => {
      const dir = tempDir();
      const out = make(dir);
      const before = ["config.json", "metrics.json"].map((f) => { try { return readFileSync(join(dir, f), "utf8"); } catch { return undefined; } });
      await expectRefused(["train", ...TINY, "--out", out], message);
      // Nothing the user had is touched.
      expect(["config.json", "metrics.json"].map((f) => { try { return readFileSync(join(dir, f), "utf8"); } catch { return undefined; } })).toEqual(before);
    });
  }
});

it("--out / (the root of the file system, writable by root) is refused, however it is spelled", () => {
  // Checked on the function, not by a run: a regression must not write a run into /.
  for (const root of ["/", "//", "/.", "/tmp/.."]) expect(() => checkOutFolder(root)).toThrow(new UsageError(`--out ${root} is the root of the file system; give a folder for the run`));
});

describe("hand-edited run folders: each a one-line error naming the file and where a value came from", () => {
  const old = (path: string) => utimesSync(path, 0, 0);
  const cases: [string, (dir: string) => void, "eval" | "resume", RegExp][] = [
    ["run.lock is a folder", (d) => { mkdirSync(join(d, LOCK_FILE)); old(join(d, LOCK_FILE)); }, "resume", /run\.lock is a folder, not a lock file of mmx; remove it$/],
    ["run.lock is a FIFO", (d) => mkfifo(join(d, LOCK_FILE)), "resume", /run\.lock is not a regular file, not a lock file of mmx; remove it$/],
    ["run.lock names pid 0 (garbage, fresh)", (d) => writeFileSync(join(d, LOCK_FILE), JSON.stringify({ pid: 0, host: hostname(), startedAt: "now", command: "mmx train" })), "resume", /is in use by another run \(its lock file is being written\)/],
    ["metrics.json is a FIFO", (d) => { rmSync(join(d, "metrics.json")); mkfifo(join(d, "metrics.json")); }, "resume", /metrics\.json is not a regular file; repair or delete it/],
    ["metrics.json is a folder", (d) => { rmSync(join(d, "metrics.json")); mkdirSync(join(d, "metrics.json")); }, "resume", /metrics\.json is a folder, not a file; repair or delete it/],
    ["checkpoint.mmx is a FIFO", (d) => { rmSync(join(d, "checkpoint.mmx")); mkfifo(join(d, "checkpoint.mmx")); }, "eval", /checkpoint \S+checkpoint\.mmx is unreadable: it is not a regular file$/],
    ["checkpoint.mmx is a link to itself", (d) => { rmSync(join(d, "checkpoint.mmx")); symlinkSync(join(d, "checkpoint.mmx"), join(d, "checkpoint.mmx")); }, "eval", /checkpoint \S+checkpoint\.mmx is a symbolic link that leads back to itself$/],
    ["the checkpoint names an unknown backend", (d) => editHeader(d, (h) => (h.backend = "gpt5")), "eval", /^mmx: checkpoint \S+checkpoint\.mmx \(trained on backend 'gpt5'; --backend chooses another\): unknown backend 'gpt5'/],
    ["the checkpoint names an unknown backend (resume)", (d) => editHeader(d, (h) => (h.backend = "gpt5")), "resume", /^mmx: checkpoint \S+checkpoint\.mmx \(trained on backend 'gpt5'; --backend chooses another\): unknown backend 'gpt5'/],
    ["the checkpoint's data folder is missing", (d) => editHeader(d, (h) => Object.assign(h.config, { dataset: "cifar10", dataDir: "/nonexistent-mmx", model: "preact-resnet18", spiralsTrain: 0, spiralsTest: 0, hidden: undefined })), "eval", /^mmx: checkpoint \S+checkpoint\.mmx: cifar10: missing data file \/nonexistent-mmx\/data_batch_1\.bin/],
    ["the checkpoint holds NaN (made elsewhere, CRC fixed up)", (d) => {
      const path = runFiles(d).checkpoint;
      const bytes = readFileSync(path);
      const length = bytes.readUInt32LE(8);
      bytes.writeFloatLE(Number.NaN, 16 + length);
      bytes.writeUInt32LE(crc32(bytes.subarray(16 + length), crc32(bytes.subarray(16, 16 + length))), 12);
      writeFileSync(path, bytes);
    }, "resume", /checkpoint \S+checkpoint\.mmx is unreadable: array 0 \(float32 \[[\d,]+\]\) holds NaN at element 0; mmx never saves a non-finite state$/],
    ["the checkpoint's step disagrees with its epoch", (d) => editHeader(d, (h) => (h.step = 3)), "eval", /^mmx: checkpoint \S+checkpoint\.mmx: its step 3 does not match its epoch 1 \(2 steps per epoch\)$/],
  ];
  for (const [what, edit, command, message] of cases) {
    it(what, async () => {
      const dir = runCopy(edit);
      await expectRefused(command === "eval" ? ["eval", dir] : ["train", "--resume", "--out", dir, "--epochs", "2", "--quiet"], message);
    });
  }

  it("a config.json edited by hand is not read on --resume: the note says so, and it is rewritten from the checkpoint", async () => {
    const dir = runCopy((d) => writeFileSync(join(d, "config.json"), JSON.stringify({ ...JSON.parse(readFileSync(join(d, "config.json"), "utf8")), lr: 7 })));
    const r = await run(["train", "--resume", "--out", dir, "--epochs", "2"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/note: \S+config\.json differs from the checkpoint's config; it is not read: the run continues with the checkpoint's settings/);
    expect(JSON.parse(readFileSync(join(dir, "config.json"), "utf8")).lr).toBe(0.05);
  });
});

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dispose, tree, type Array } from "@mmx/core";
import { loadCheckpoint, readCheckpointInfo } from "./checkpoint.js";
import { runFiles } from "./run-files.js";
import { run, tempDir } from "./test-helpers.js";
import { spawnMmx } from "./testing-only/child.js";

const EPOCHS = 8;
const ARGS = ["train", "--n-train", "512", "--n-test", "64", "--batch", "16", "--hidden", "16", "--method", "manifold", "--seed", "4", "--backend", "wasm"];
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

function savedEpoch(out: string): number {
  try {
    return readCheckpointInfo(runFiles(out).checkpoint).epoch;
  } catch {
    return 0;
  }
}

function fingerprint(out: string): { epoch: number; step: number; arrays: string[]; metrics: unknown[] } {
  const c = loadCheckpoint(runFiles(out).checkpoint);
  const arrays = (tree.leaves([c.params, c.opt, c.modelState]) as Array[]).map((a) => Buffer.from((a.dataSync() as Float32Array).buffer).toString("base64"));
  dispose([c.params, c.opt, c.modelState]);
  const metrics = (JSON.parse(readFileSync(runFiles(out).metrics, "utf8")).epochs as Record<string, unknown>[]).map(({ seconds: _s, examplesPerSecond: _e, ...rest }) => rest);
  return { epoch: c.epoch, step: c.step, arrays, metrics };
}

describe("a training process killed (SIGKILL) at random points", () => {
  it("resumes bit-exactly to the result of an uninterrupted run, losing nothing", { timeout: 240_000 }, async () => {
    const straight = join(tempDir(), "straight");
    expect((await run([...ARGS, "--epochs", String(EPOCHS), "--quiet", "--out", straight])).code).toBe(0);

    const out = join(tempDir(), "killed");
    const delays = [0, 1, 2].map(() => Math.floor(Math.random() * 120));
    const log: string[] = [`kill delays after a new checkpoint appeared: ${delays.join(", ")} ms`];
    let first = true;
    for (const delay of delays) {
      const before = savedEpoch(out);
      const { child, done } = spawnMmx(first ? [...ARGS, "--epochs", String(EPOCHS), "--out", out] : ["train", "--resume", "--out", out]);
      first = false;
      // Kill once the run has saved a new epoch, plus a random delay: mid-epoch, mid-evaluation or mid-write.
      let exited = false;
      void done.then(() => (exited = true));
      while (!exited && savedEpoch(out) <= before) await sleep(10);
      await sleep(delay);
      child.kill("SIGKILL");
      const r = await done;
      log.push(`run ${log.length}: ${r.signal ?? `exit ${r.code}`} at epoch ${savedEpoch(out)}; ${r.stderr.split("\n").filter((l) => l.startsWith("note") || l.startsWith("mmx")).join(" | ")}`);
      if (r.signal === "SIGKILL") expect(existsSync(join(out, "run.lock")), log.join("\n")).toBe(true);
      else expect(r.code, log.join("\n")).toBe(0);
      if (savedEpoch(out) >= EPOCHS) break;
    }
    if (savedEpoch(out) < EPOCHS) {
      const { done } = spawnMmx(["train", "--resume", "--out", out]);
      const r = await done;
      log.push(`final resume: exit ${r.code}; ${r.stderr.split("\n").filter((l) => l.startsWith("note")).join(" | ")}`);
      expect(r.code, `${log.join("\n")}\n${r.stderr}`).toBe(0);
      // The killed run's lock was stale: the resume took it over and said so.
      expect(r.stderr, log.join("\n")).toMatch(/note: .* was locked by mmx train.*which is no longer running; taking it over/);
    }
    expect(fingerprint(out), log.join("\n")).toEqual(fingerprint(straight));
    expect(readdirSync(out).sort(), log.join("\n")).toEqual(["checkpoint.mmx", "config.json", "metrics.json"]);
  });
});

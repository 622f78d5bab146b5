import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { dispose, np, setBackend, tree, type Array } from "@mmx/core";
import { nodeIo, type FileIo } from "./atomic-file.js";
import { CheckpointError, loadCheckpoint, readCheckpointInfo, saveCheckpoint, type Checkpoint } from "./checkpoint.js";
import type { TrainConfig } from "./config.js";
import { runFiles } from "./run-files.js";
import { run, spiralsConfig, tempDir } from "./test-helpers.js";
import { train } from "./train.js";

beforeAll(async () => {
  await setBackend("wasm");
});

const CONFIG: TrainConfig = spiralsConfig();

/** The config of the sample checkpoints: they say epochs 4 and 5, within its epoch count. */
const SAVED: TrainConfig = { ...CONFIG, epochs: 10 };

function sample(): Checkpoint {
  return {
    config: SAVED,
    epoch: 4,
    step: 40,
    backend: "wasm",
    params: { a: { w: np.array([1.5, -2, 3e-8, Number.MAX_VALUE > 0 ? 7 : 0], { shape: [2, 2] }) }, list: [np.array([0.1]), { b: np.array([1, 2, 3]) }] },
    opt: { count: np.array(40, { dtype: "int32" }), momentum: { w: np.array([9, 8]) } },
    modelState: {},
  };
}

const bytesOf = (t: unknown) => (tree.leaves(t) as Array[]).map((a) => [a.dtype, [...a.shape], Buffer.from((a.dataSync() as Float32Array).buffer).toString("hex")]);

describe("checkpoints", () => {
  it("round-trip every array bit for bit, with the trees' structure and the counters", async () => {
    const path = join(tempDir(), "c.mmx");
    const c = sample();
    await saveCheckpoint(path, c);
    const back = loadCheckpoint(path);
    expect(back.epoch).toBe(4);
    expect(back.step).toBe(40);
    expect(back.config).toEqual(SAVED);
    for (const k of ["params", "opt", "modelState"] as const) {
      expect(tree.structure(back[k]).toString()).toBe(tree.structure(c[k]).toString());
      expect(bytesOf(back[k])).toEqual(bytesOf(c[k]));
    }
    expect(readCheckpointInfo(path)).toEqual({ config: SAVED, epoch: 4, step: 40, backend: "wasm" });
    dispose([c.params, c.opt, back.params, back.opt]);
  });

  it("are written atomically: a write that fails midway leaves the previous checkpoint whole and no temp file", async () => {
    const dir = tempDir();
    const path = join(dir, "checkpoint.mmx");
    const first = sample();
    await saveCheckpoint(path, first);
    const before = readFileSync(path);
    const second = { ...sample(), epoch: 5, step: 50 };
    let written = 0;
    const crashing: FileIo = {
      ...nodeIo,
      writeSync: (fd, buffer, offset, length) => {
        // Write half of what is asked, then fail: the disk filled up, or the process died.
        if (written > 200) throw new Error("ENOSPC: no space left on device");
        const n = nodeIo.writeSync(fd, buffer, offset, Math.max(1, Math.floor(length / 2)));
        written += n;
        return n;
      },
    };
    await expect(saveCheckpoint(path, second, crashing)).rejects.toThrow(/ENOSPC/);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(["checkpoint.mmx"]);
    expect(loadCheckpoint(path).epoch).toBe(4);
    // A rename that never happens (a crash just before it) also leaves the old file in place.
    const noRename: FileIo = { ...nodeIo, renameSync: () => { throw new Error("killed"); } };
    await expect(saveCheckpoint(path, second, noRename)).rejects.toThrow(/killed/);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(["checkpoint.mmx"]);
    await saveCheckpoint(path, second);
    expect(readCheckpointInfo(path).epoch).toBe(5);
    dispose([first.params, first.opt, second.params, second.opt]);
  });

  it("a truncated or corrupted file is an error that names it", async () => {
    const dir = tempDir();
    const path = join(dir, "c.mmx");
    const c = sample();
    await saveCheckpoint(path, c);
    dispose([c.params, c.opt]);
    const good = readFileSync(path);
    writeFileSync(path, good.subarray(0, good.length - 5));
    expect(() => loadCheckpoint(path)).toThrow(new RegExp(`checkpoint ${path} is unreadable: truncated or padded: \\d+ data bytes after the header at byte offset \\d+, the header says \\d+`));
    const flipped = Buffer.from(good);
    flipped[flipped.length - 3]! ^= 0x10;
    writeFileSync(path, flipped);
    expect(() => loadCheckpoint(path)).toThrow(CheckpointError);
    expect(() => loadCheckpoint(path)).toThrow(/do(es)? not match (its|their) CRC-32/);
    writeFileSync(path, "not a checkpoint");
    expect(() => loadCheckpoint(path)).toThrow(/does not start with the mmx checkpoint signature/);
    expect(() => loadCheckpoint(join(dir, "none.mmx"))).toThrow(/no checkpoint at/);
  });
});

describe("--resume", () => {
  const paramBytes = (dir: string) => {
    const c = loadCheckpoint(runFiles(dir).checkpoint);
    const bytes = { params: bytesOf(c.params), opt: bytesOf(c.opt), step: c.step, epoch: c.epoch };
    dispose([c.params, c.opt, c.modelState]);
    return bytes;
  };

  it("continues bit-exactly: 2 epochs straight equal 1 epoch, an interruption, and 1 resumed", async () => {
    const straight = join(tempDir(), "straight");
    const a = await train(CONFIG, { out: straight });
    dispose([a.params, a.modelState]);

    const split = join(tempDir(), "split");
    const b = await train(CONFIG, { out: split, stopAfterEpochs: 1 });
    dispose([b.params, b.modelState]);
    expect(paramBytes(split).epoch).toBe(1);
    const c = await train(CONFIG, { out: split, resume: true });
    dispose([c.params, c.modelState]);

    const want = paramBytes(straight);
    expect(want.epoch).toBe(2);
    expect(paramBytes(split)).toEqual(want);
    // The metrics of the resumed run are those of the straight one, epoch for epoch.
    const strip = (m: { epochs: Record<string, number>[] }) => m.epochs.map(({ seconds: _s, examplesPerSecond: _e, ...rest }) => rest);
    const read = (d: string) => JSON.parse(readFileSync(runFiles(d).metrics, "utf8"));
    expect(strip(read(split))).toEqual(strip(read(straight)));
  });

  it("from the command line: --epochs 1, then --resume --epochs 2, equals --epochs 2", async () => {
    const common = ["train", "--n-train", "192", "--n-test", "64", "--hidden", "16", "--batch", "32", "--method", "input", "--seed", "5", "--quiet"];
    const straight = join(tempDir(), "straight");
    expect((await run([...common, "--epochs", "2", "--out", straight])).code).toBe(0);
    const split = join(tempDir(), "split");
    expect((await run([...common, "--epochs", "1", "--out", split])).code).toBe(0);
    const conflicting = await run(["train", "--resume", "--out", split, "--epochs", "2", "--lr", "0.5"]);
    expect(conflicting.code).toBe(2);
    expect(conflicting.stderr).toMatch(/drop --lr/);
    const resumed = await run(["train", "--resume", "--out", split, "--epochs", "2", "--quiet"]);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/epoch 2\/2/);
    expect(paramBytes(split)).toEqual(paramBytes(straight));
    expect((await run(["train", "--resume", "--out", split])).stdout).toMatch(/already trained 2 of 2 epochs; nothing to do/);
    expect(existsSync(`${runFiles(split).checkpoint}.tmp`)).toBe(false);
  });
});

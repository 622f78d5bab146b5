import { mkdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { dispose, np, setBackend } from "@mmx/core";
import { loadCheckpoint, readCheckpointInfo, saveCheckpoint } from "./checkpoint.js";
import type { TrainConfig } from "./config.js";
import { UsageError } from "./errors.js";
import { run, tempDir } from "./test-helpers.js";

beforeAll(async () => {
  await setBackend("wasm");
});

const CONFIG: TrainConfig = {
  dataset: "spirals", spiralsTrain: 64, spiralsTest: 32, spiralsNoise: 0.05, dataSeed: 0, model: "spiral-net", hidden: [4],
  method: "manifold", alpha: 2, layers: [0, 1, 2, 3], layerNames: ["input", "hidden1", "hidden2", "bottleneck"], loss: "bce",
  epochs: 2, batch: 32, lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-4, schedule: "constant", milestones: [], seed: 0, backend: "wasm",
};

/** A valid checkpoint's bytes, split into its header (parsed) and data. */
async function sample(): Promise<{ bytes: Buffer; header: Record<string, unknown>; data: Uint8Array }> {
  const path = join(tempDir(), "c.mmx");
  const params = { w: np.array([1, 2, 3, 4], { shape: [2, 2] }), b: np.array([0.5]) };
  const opt = { count: np.array(3, { dtype: "int32" }), m: { w: np.zeros([2, 2]), b: np.zeros([1]) } };
  await saveCheckpoint(path, { config: CONFIG, epoch: 1, step: 2, backend: "wasm", params, opt, modelState: {} });
  dispose([params, opt]);
  const bytes = readFileSync(path);
  const length = bytes.readUInt32LE(8);
  return { bytes, header: JSON.parse(bytes.subarray(16, 16 + length).toString("utf8")), data: bytes.subarray(16 + length) };
}

/** A format-2 file with this header and data, its CRC right: what a hand edit that fixed the CRC makes. */
function encode(header: unknown, data: Uint8Array): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(16);
  prefix.write("MMXCKPT2", 0, "latin1");
  prefix.writeUInt32LE(json.length, 8);
  prefix.writeUInt32LE(crc32(data, crc32(json)), 12);
  return Buffer.concat([prefix, json, data]);
}

/** Loads `bytes` as a checkpoint: the result, or the UsageError; any other error fails the test. */
function attempt(bytes: Uint8Array): "loaded" | UsageError {
  const path = join(tempDir(), "checkpoint.mmx");
  writeFileSync(path, bytes);
  try {
    const c = loadCheckpoint(path);
    dispose([c.params, c.opt, c.modelState]);
    return "loaded";
  } catch (e) {
    if (e instanceof UsageError) {
      expect(e.message).toContain(path);
      expect(e.message).not.toContain("\n");
      return e;
    }
    throw e;
  }
}

const HOSTILE_VALUES = fc.oneof(
  fc.constantFrom(null, -3, -1, 0, 1.5, 1e300, -1e300, 2 ** 53, "", "x", "gpt5", true, [], {}, [-1], [1.5], [0, 0], { $array: 99 }, "float64"),
  fc.jsonValue({ maxDepth: 2 }),
);

describe("checkpoints against hostile bytes", () => {
  it("any flipped byte or truncation is a one-line error naming the file (the CRC covers header and data)", async () => {
    const { bytes } = await sample();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const bad = Buffer.from(bytes);
        bad[at]! ^= xor;
        expect(attempt(bad)).toBeInstanceOf(UsageError);
      }),
      { numRuns: 150 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bytes.length - 1 }), (length) => {
        expect(attempt(bytes.subarray(0, length))).toBeInstanceOf(UsageError);
      }),
      { numRuns: 60 },
    );
  });

  it("a header field set to any value, with the CRC fixed up, either loads or is a one-line error (never a crash)", async () => {
    const { header, data } = await sample();
    const paths: string[][] = [
      ...Object.keys(header).map((k) => [k]),
      ...Object.keys(CONFIG).map((k) => ["config", k]),
      ...["dtype", "shape", "offset", "bytes"].flatMap((k) => [0, 1, 4].map((i) => ["arrays", String(i), k])),
      ["trees", "params"], ["trees", "opt", "count"], ["trees", "params", "w", "$array"],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...paths), HOSTILE_VALUES, (path, value) => {
        const edited = structuredClone(header);
        let at: Record<string, unknown> = edited;
        for (const k of path.slice(0, -1)) at = at[k] as Record<string, unknown>;
        at[path[path.length - 1]!] = value;
        attempt(encode(edited, data));
      }),
      { numRuns: 300 },
    );
  });

  it("names the field and where it came from: alpha -3, config null, an unknown model, a bad shape", async () => {
    const { header, data } = await sample();
    const edit = (f: (h: Record<string, any>) => void) => {
      const h = structuredClone(header) as Record<string, any>;
      f(h);
      return attempt(encode(h, data));
    };
    expect(String(edit((h) => (h.config.alpha = -3)))).toMatch(/checkpoint .*checkpoint\.mmx: its config field 'alpha' is -3; it must be a number >= 0$/);
    expect(String(edit((h) => (h.config.alpha = 0)))).toMatch(/checkpoint .*checkpoint\.mmx: its config is inconsistent: 'alpha' is 0; it must be > 0 for manifold mixup$/);
    expect(String(edit((h) => (h.config = null)))).toMatch(/its header field 'config' is null; it must hold the run's settings/);
    expect(String(edit((h) => (h.config.model = "gpt5")))).toMatch(/checkpoint .*checkpoint\.mmx: its config field 'model' is "gpt5"; it must be one of 'spiral-net', 'mlp'/);
    expect(String(edit((h) => (h.arrays[0].shape = [3, 2])))).toMatch(/array 0 \(float32 \[3,2\]\) says 4 bytes; its shape needs 24/);
    expect(String(edit((h) => (h.config.hidden = [0])))).toMatch(/config field 'hidden' is \[0\]; it must be a list of whole numbers >= 1/);
    expect(String(edit((h) => (h.epoch = -1)))).toMatch(/field 'epoch' is -1; it must be a whole number >= 0/);
    // What a flag cannot ask for, a file cannot either: the spirals' size and noise have the flags' bounds.
    expect(String(edit((h) => (h.config.spiralsTrain = 1e10)))).toMatch(/config field 'spiralsTrain' is 10000000000; it must be a whole number in \[0, 10000000\]$/);
    expect(String(edit((h) => (h.config.spiralsNoise = 1e300)))).toMatch(/config field 'spiralsNoise' is 1e\+300; it must be a number in \[0, 1000\]$/);
    expect(String(edit((h) => (h.epoch = 3)))).toMatch(/its header says epoch 3, beyond the 2 epochs of its config$/);
  });

  it("a header or config with a field mmx does not know, whatever its name (__proto__, constructor, ...), is refused naming it", async () => {
    const { header, data } = await sample();
    const name = fc.oneof(fc.constantFrom("__proto__", "constructor", "toString", "hasOwnProperty", "valueOf", "crc32", "evil"), fc.string({ minLength: 1, maxLength: 8 }));
    fc.assert(
      fc.property(name, fc.boolean(), HOSTILE_VALUES, (key, inConfig, value) => {
        const known = inConfig ? Object.keys(CONFIG) : Object.keys(header);
        fc.pre(!known.includes(key));
        // Through JSON text, as a hand edit makes it: "__proto__" then is an own field, not the prototype.
        const field = `${JSON.stringify(key)}:${JSON.stringify(value) ?? "null"},`;
        // A function as replacement: a key such as "$`" would otherwise be read as a replacement pattern.
        const text = inConfig ? JSON.stringify(header).replace('"config":{', () => `"config":{${field}`) : JSON.stringify(header).replace(/^\{/, () => `{${field}`);
        const result = attempt(encode(JSON.parse(text), data));
        expect(String(result)).toContain(`unknown field ${inConfig ? `'${key}'` : JSON.stringify(key)}`);
      }),
      { numRuns: 80 },
    );
  });

  it("a folder or a huge file named checkpoint.mmx is refused without reading it", async () => {
    const dir = tempDir();
    const folder = join(dir, "run");
    mkdirSync(join(folder, "checkpoint.mmx"), { recursive: true });
    const asFolder = await run(["eval", folder]);
    expect(asFolder.code).toBe(2);
    expect(asFolder.stderr).toBe(`mmx: checkpoint ${join(folder, "checkpoint.mmx")} is a folder, not a file\n`);
    // A 3 GB sparse file behind a valid header: refused by its size, before the data would be read.
    const { bytes } = await sample();
    const huge = join(dir, "huge.mmx");
    writeFileSync(huge, bytes);
    truncateSync(huge, 3 * 2 ** 30);
    expect(() => readCheckpointInfo(huge)).toThrow(/truncated or padded: \d+ data bytes after the header/);
  });

  it("format 1 files (CRC over the data only) are still read", async () => {
    const { header, data } = await sample();
    const v1 = { ...header, format: 1, crc32: crc32(data) };
    const json = Buffer.from(JSON.stringify(v1));
    const prefix = Buffer.alloc(12);
    prefix.write("MMXCKPT1", 0, "latin1");
    prefix.writeUInt32LE(json.length, 8);
    expect(attempt(Buffer.concat([prefix, json, data]))).toBe("loaded");
    const future = Buffer.from(encode(header, data));
    future.write("MMXCKPT9", 0, "latin1");
    expect(String(attempt(future))).toMatch(/format 9 was written by a newer mmx; this one reads formats 1 and 2/);
  });
});

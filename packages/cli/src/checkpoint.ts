import { existsSync, readFileSync } from "node:fs";
import { crc32 } from "node:zlib";
import { Array, np, type PyTree } from "@mmx/core";
import { type FileIo, nodeIo, writeFileAtomic } from "./atomic-file.js";
import type { TrainConfig } from "./config.js";

const MAGIC = new TextEncoder().encode("MMXCKPT1");
const FORMAT = 1;

/** What a checkpoint holds: enough to continue training bit for bit, and to evaluate. */
export interface Checkpoint {
  config: TrainConfig;
  /** Epochs completed. */
  epoch: number;
  /** Optimizer steps taken (the policy's keys are foldIn(seed key, step)). */
  step: number;
  /** The backend that wrote it: resuming elsewhere continues, but not bit-exactly. */
  backend: string;
  params: PyTree;
  opt: PyTree;
  modelState: PyTree;
}

type DType = "float32" | "int32";
interface ArrayEntry {
  dtype: DType;
  shape: number[];
  offset: number;
  bytes: number;
}
interface Header {
  format: number;
  config: TrainConfig;
  epoch: number;
  step: number;
  backend: string;
  savedAt: string;
  /** The trees with each array replaced by { $array: i }. */
  trees: { params: unknown; opt: unknown; modelState: unknown };
  arrays: ArrayEntry[];
  dataBytes: number;
  crc32: number;
}

export class CheckpointError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = "CheckpointError";
  }
}

/** Replaces each array leaf by a reference into `out`, keeping the tree's shape as plain JSON. */
function skeleton(t: PyTree, out: Array[], where: string): unknown {
  if (t instanceof Array) {
    out.push(t);
    return { $array: out.length - 1 };
  }
  if (t === null || t === undefined) return null;
  if (globalThis.Array.isArray(t)) return t.map((c, i) => skeleton(c, out, `${where}[${i}]`));
  if (typeof t === "object" && Object.getPrototypeOf(t) === Object.prototype) {
    return Object.fromEntries(Object.keys(t).sort().map((k) => [k, skeleton((t as Record<string, unknown>)[k], out, `${where}.${k}`)]));
  }
  throw new TypeError(`saveCheckpoint: cannot save ${where}: a ${typeof t === "object" ? (t.constructor?.name ?? "object") : typeof t} (only arrays in plain objects and lists)`);
}

function rebuild(s: unknown, arrays: readonly Array[]): PyTree {
  if (s === null) return null;
  if (globalThis.Array.isArray(s)) return s.map((c) => rebuild(c, arrays));
  if (typeof s === "object" && "$array" in (s as object)) return arrays[(s as { $array: number }).$array];
  return Object.fromEntries(Object.entries(s as object).map(([k, v]) => [k, rebuild(v, arrays)]));
}

/** Writes a checkpoint atomically (temp file, fsync, rename): a crash leaves the previous one whole. */
export async function saveCheckpoint(path: string, ckpt: Checkpoint, io: FileIo = nodeIo): Promise<void> {
  const arrays: Array[] = [];
  const trees = {
    params: skeleton(ckpt.params, arrays, "params"),
    opt: skeleton(ckpt.opt, arrays, "opt"),
    modelState: skeleton(ckpt.modelState, arrays, "modelState"),
  };
  const blobs: Uint8Array[] = [];
  const entries: ArrayEntry[] = [];
  let offset = 0;
  for (const a of arrays) {
    if (a.dtype !== "float32" && a.dtype !== "int32") throw new TypeError(`saveCheckpoint: cannot save a ${a.dtype} array`);
    const values = (await a.data()).slice() as Float32Array | Int32Array;
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    entries.push({ dtype: a.dtype, shape: [...a.shape], offset, bytes: bytes.length });
    blobs.push(bytes);
    offset += bytes.length;
  }
  let crc = 0;
  for (const b of blobs) crc = crc32(b, crc);
  const header: Header = {
    format: FORMAT,
    config: ckpt.config,
    epoch: ckpt.epoch,
    step: ckpt.step,
    backend: ckpt.backend,
    savedAt: new Date().toISOString(),
    trees,
    arrays: entries,
    dataBytes: offset,
    crc32: crc,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, json.length, true);
  writeFileAtomic(path, [MAGIC, length, json, ...blobs], io);
}

/** Reads the header only (config, epoch, step): cheap, no arrays are made. */
export function readCheckpointInfo(path: string): Omit<Checkpoint, "params" | "opt" | "modelState"> {
  const { header } = readRaw(path);
  return { config: header.config, epoch: header.epoch, step: header.step, backend: header.backend };
}

/**
 * Reads a checkpoint written by {@link saveCheckpoint} into arrays on the current backend. A missing,
 * truncated or corrupt file is a CheckpointError naming the file and what is wrong.
 */
export function loadCheckpoint(path: string): Checkpoint {
  const { header, data } = readRaw(path);
  const arrays = header.arrays.map((e) => {
    const bytes = data.slice(e.offset, e.offset + e.bytes);
    const values = e.dtype === "int32" ? new Int32Array(bytes.buffer) : new Float32Array(bytes.buffer);
    return np.array(values, { shape: e.shape, dtype: e.dtype });
  });
  return {
    config: header.config,
    epoch: header.epoch,
    step: header.step,
    backend: header.backend,
    params: rebuild(header.trees.params, arrays),
    opt: rebuild(header.trees.opt, arrays),
    modelState: rebuild(header.trees.modelState, arrays),
  };
}

function readRaw(path: string): { header: Header; data: Uint8Array } {
  if (!existsSync(path)) throw new CheckpointError(path, `no checkpoint at ${path}`);
  const file = new Uint8Array(readFileSync(path));
  const fail = (why: string) => new CheckpointError(path, `checkpoint ${path} is unreadable: ${why}`);
  if (file.length < 12 || !MAGIC.every((b, i) => file[i] === b)) throw fail("it does not start with the mmx checkpoint signature");
  const headerLength = new DataView(file.buffer, file.byteOffset + 8, 4).getUint32(0, true);
  if (12 + headerLength > file.length) throw fail(`truncated: the header needs bytes 12..${12 + headerLength}, the file has ${file.length}`);
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(file.subarray(12, 12 + headerLength))) as Header;
  } catch (e) {
    throw fail(`its header is not valid JSON (${(e as Error).message})`);
  }
  if (header.format !== FORMAT) throw fail(`format ${header.format}; this mmx reads format ${FORMAT}`);
  const data = file.subarray(12 + headerLength);
  if (data.length !== header.dataBytes) throw fail(`truncated or padded: ${data.length} data bytes after the header at byte offset ${12 + headerLength}, the header says ${header.dataBytes}`);
  if (crc32(data) !== header.crc32) throw fail("the data does not match its CRC-32 (the file is corrupt)");
  return { header, data };
}

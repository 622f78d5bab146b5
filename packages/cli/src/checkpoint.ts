import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { crc32 } from "node:zlib";
import { Array, np, type PyTree } from "@mmx/core";
import { type FileIo, nodeIo, writeFileAtomic } from "./atomic-file.js";
import type { TrainConfig } from "./config.js";
import { validateConfig } from "./config-schema.js";
import { UsageError } from "./errors.js";

/**
 * Layout: the 8-byte signature, a u32 header length H, a u32 CRC-32 of everything after it (the header
 * and the data), the header (JSON, H bytes), then the arrays' bytes back to back. Format 1 (signature
 * MMXCKPT1) had no CRC field and its CRC covered the data only; it is still read.
 */
const MAGIC = new TextEncoder().encode("MMXCKPT2");
const MAGIC_V1 = new TextEncoder().encode("MMXCKPT1");
const FORMAT = 2;
/** Far above any real header (it lists the arrays' shapes): a larger length is corruption, not a header. */
const MAX_HEADER_BYTES = 64 * 1024 * 1024;
/** The most a checkpoint's arrays may hold: one read buffer. */
const MAX_DATA_BYTES = 2 ** 31 - 1;

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
  /** Format 1 only: the CRC-32 of the data (format 2 checks header and data with the CRC before the header). */
  crc32?: number;
}

/** A checkpoint that is missing, not a file, or corrupt: a user-facing error naming the file. */
export class CheckpointError extends UsageError {
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
    // A checkpoint is what a run continues from: one holding NaN or Inf would only diverge again.
    if (values instanceof Float32Array && !values.every(Number.isFinite)) throw new RangeError(`saveCheckpoint: refusing to write ${path}: array ${arrays.indexOf(a)} (${a.dtype} [${a.shape.join(",")}]) holds non-finite values`);
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    entries.push({ dtype: a.dtype, shape: [...a.shape], offset, bytes: bytes.length });
    blobs.push(bytes);
    offset += bytes.length;
  }
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
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  let crc = crc32(json);
  for (const b of blobs) crc = crc32(b, crc);
  const prefix = new Uint8Array(8);
  const view = new DataView(prefix.buffer);
  view.setUint32(0, json.length, true);
  view.setUint32(4, crc, true);
  writeFileAtomic(path, [MAGIC, prefix, json, ...blobs], io);
}

/** Reads the header only (config, epoch, step), checked against the schema and the CRC: no arrays are made. */
export function readCheckpointInfo(path: string): Omit<Checkpoint, "params" | "opt" | "modelState"> {
  const { header } = readRaw(path);
  return { config: header.config, epoch: header.epoch, step: header.step, backend: header.backend };
}

/**
 * Reads a checkpoint written by {@link saveCheckpoint} into arrays on the current backend. A missing,
 * truncated or corrupt file, or one whose header breaks the schema, is a CheckpointError naming the file
 * and what is wrong, raised before any array is made.
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

/**
 * The header and data of a checkpoint, every field checked. The file's size is checked against what
 * its header says before the data is read, so a huge or padded file is refused without reading it.
 */
function readRaw(path: string): { header: Header; data: Uint8Array } {
  const fail = (why: string) => new CheckpointError(path, `checkpoint ${path} is unreadable: ${why}`);
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO by that name would otherwise wait for a writer forever (fstat below refuses it).
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new CheckpointError(path, `no checkpoint at ${path}`);
    if (code === "ELOOP") throw new CheckpointError(path, `checkpoint ${path} is a symbolic link that leads back to itself`);
    if (code === "EISDIR") throw new CheckpointError(path, `checkpoint ${path} is a folder, not a file`);
    throw new CheckpointError(path, `cannot read checkpoint ${path} (${code ?? (e as Error).message})`);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new CheckpointError(path, `checkpoint ${path} is a folder, not a file`);
    if (!stat.isFile()) throw fail("it is not a regular file");
    const size = stat.size;
    const read = (position: number, length: number): Uint8Array => {
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, out, done, length - done, position + done);
        if (n === 0) throw fail(`it ended at byte ${position + done} while ${position + length} bytes were expected`);
        done += n;
      }
      return out;
    };
    if (size < 12) throw fail("it does not start with the mmx checkpoint signature");
    const start = read(0, 12);
    const v1 = MAGIC_V1.every((b, i) => start[i] === b);
    if (!v1 && !MAGIC.every((b, i) => start[i] === b)) {
      throw fail(/^MMXCKPT\d$/.test(new TextDecoder().decode(start.subarray(0, 8))) ? `format ${String.fromCharCode(start[7]!)} was written by a newer mmx; this one reads formats 1 and ${FORMAT}` : "it does not start with the mmx checkpoint signature");
    }
    const headerLength = new DataView(start.buffer).getUint32(8, true);
    const headerAt = v1 ? 12 : 16;
    if (headerLength > MAX_HEADER_BYTES) throw fail(`its header length field says ${headerLength} bytes (at most ${MAX_HEADER_BYTES}): corrupt`);
    if (headerAt + headerLength > size) throw fail(`truncated: the header needs bytes ${headerAt}..${headerAt + headerLength}, the file has ${size}`);
    const storedCrc = v1 ? undefined : new DataView(read(12, 4).buffer).getUint32(0, true);
    const headerBytes = read(headerAt, headerLength);
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(headerBytes));
    } catch (e) {
      // The parser quotes the bytes it choked on, which may hold a newline or other control characters: one line.
      throw fail(`its header is not valid JSON (${(e as Error).message.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)})`);
    }
    const header = checkHeader(parsed, v1 ? 1 : FORMAT, (why) => fail(`its header ${why}`));
    const dataAt = headerAt + headerLength;
    if (size - dataAt !== header.dataBytes) throw fail(`truncated or padded: ${size - dataAt} data bytes after the header at byte offset ${dataAt}, the header says ${header.dataBytes}`);
    const data = read(dataAt, header.dataBytes);
    if (v1) {
      if (crc32(data) !== header.crc32) throw fail("the data does not match its CRC-32 (the file is corrupt)");
    } else if (crc32(data, crc32(headerBytes)) !== storedCrc) {
      throw fail("its header and data do not match their CRC-32 (the file is corrupt)");
    }
    // mmx never writes a non-finite checkpoint (saveCheckpoint refuses): one holding NaN or Inf was made
    // elsewhere, and would train on as a divergence blamed on the learning rate.
    for (const [i, e] of header.arrays.entries()) {
      if (e.dtype !== "float32") continue;
      const values = new Float32Array(data.buffer, data.byteOffset + e.offset, e.bytes / 4);
      const bad = values.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw fail(`array ${i} (float32 [${e.shape.join(",")}]) holds ${values[bad]} at element ${bad}; mmx never saves a non-finite state`);
    }
    header.config = validateConfig(header.config, `checkpoint ${path}`);
    if (header.epoch > header.config.epochs) throw fail(`its header says epoch ${header.epoch}, beyond the ${header.config.epochs} epochs of its config`);
    return { header, data };
  } finally {
    closeSync(fd);
  }
}

const DTYPE_BYTES: Readonly<Record<DType, number>> = { float32: 4, int32: 4 };

/** Every field a header may hold: one written by a newer mmx, or by hand, is refused rather than ignored. */
const HEADER_FIELD_FORMATS: { readonly [K in keyof Header]-?: "every format" | "format 1" } = {
  format: "every format", config: "every format", epoch: "every format", step: "every format", backend: "every format",
  savedAt: "every format", trees: "every format", arrays: "every format", dataBytes: "every format", crc32: "format 1",
};
const HEADER_FIELDS = Object.keys(HEADER_FIELD_FORMATS).filter((k) => HEADER_FIELD_FORMATS[k as keyof Header] === "every format");
const HEADER_FIELDS_V1 = Object.keys(HEADER_FIELD_FORMATS);

/** Checks every field of a parsed header (but the config, checked by its own schema); `fail` makes the error. */
function checkHeader(raw: unknown, format: number, fail: (why: string) => Error): Header {
  if (typeof raw !== "object" || raw === null || globalThis.Array.isArray(raw)) throw fail(`is ${raw === null ? "null" : typeof raw}, not an object`);
  const h = raw as Record<string, unknown>;
  const count = (name: string) => {
    const v = h[name];
    if (!(Number.isSafeInteger(v) && (v as number) >= 0)) throw fail(`field '${name}' is ${JSON.stringify(v)}; it must be a whole number >= 0`);
    return v as number;
  };
  if (h.format !== format) throw fail(`says format ${JSON.stringify(h.format)} inside a format ${format} file`);
  const known = format === 1 ? HEADER_FIELDS_V1 : HEADER_FIELDS;
  const unknown = Object.keys(h).find((k) => !known.includes(k));
  if (unknown !== undefined) throw fail(`has an unknown field ${JSON.stringify(unknown)} (written by a newer mmx, or edited by hand)`);
  count("epoch");
  count("step");
  if (typeof h.backend !== "string" || h.backend === "") throw fail(`field 'backend' is ${JSON.stringify(h.backend)}; it must name a backend`);
  if (typeof h.savedAt !== "string") throw fail(`field 'savedAt' is ${JSON.stringify(h.savedAt)}; it must be a date`);
  if (typeof h.config !== "object" || h.config === null) throw fail(`field 'config' is ${JSON.stringify(h.config)}; it must hold the run's settings`);
  const dataBytes = count("dataBytes");
  if (dataBytes > MAX_DATA_BYTES) throw fail(`says ${dataBytes} data bytes; a checkpoint holds at most ${MAX_DATA_BYTES}`);
  if (format === 1 && !(Number.isInteger(h.crc32) && (h.crc32 as number) >= 0 && (h.crc32 as number) < 2 ** 32)) throw fail(`field 'crc32' is ${JSON.stringify(h.crc32)}`);
  if (!globalThis.Array.isArray(h.arrays)) throw fail("field 'arrays' is not a list");
  let offset = 0;
  h.arrays.forEach((e: unknown, i) => {
    const where = `array ${i}`;
    if (typeof e !== "object" || e === null) throw fail(`${where} is ${JSON.stringify(e)}, not { dtype, shape, offset, bytes }`);
    const { dtype, shape, offset: at, bytes } = e as Record<string, unknown>;
    if (dtype !== "float32" && dtype !== "int32") throw fail(`${where} has dtype ${JSON.stringify(dtype)}; valid: 'float32' or 'int32'`);
    if (!globalThis.Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw fail(`${where} has shape ${JSON.stringify(shape)}; it must be a list of whole numbers >= 0`);
    const want = shape.reduce((a: number, d: number) => a * d, 1) * DTYPE_BYTES[dtype];
    if (bytes !== want) throw fail(`${where} (${dtype} [${shape.join(",")}]) says ${JSON.stringify(bytes)} bytes; its shape needs ${want}`);
    if (at !== offset) throw fail(`${where} says offset ${JSON.stringify(at)}; the arrays before it end at ${offset}`);
    offset += want;
  });
  if (offset !== dataBytes) throw fail(`lists arrays of ${offset} bytes in all, but says 'dataBytes' ${dataBytes}`);
  const trees = h.trees as Record<string, unknown> | null;
  if (typeof trees !== "object" || trees === null) throw fail("field 'trees' is missing");
  const used = new Uint8Array(h.arrays.length);
  for (const name of ["params", "opt", "modelState"]) checkSkeleton(trees[name], `trees.${name}`, used, fail);
  const unused = used.indexOf(0);
  if (unused >= 0) throw fail(`lists array ${unused}, which no tree uses`);
  return h as unknown as Header;
}

/** A tree skeleton: plain objects, lists, null and { $array: i } leaves, each array used once. */
function checkSkeleton(s: unknown, where: string, used: Uint8Array, fail: (why: string) => Error, depth = 0): void {
  if (depth > 64) throw fail(`nests deeper than 64 levels at ${where}`);
  if (s === null) return;
  if (globalThis.Array.isArray(s)) return s.forEach((c, i) => checkSkeleton(c, `${where}[${i}]`, used, fail, depth + 1));
  if (typeof s !== "object" || s === undefined) throw fail(`has ${JSON.stringify(s) ?? "nothing"} at ${where}; a tree holds objects, lists and arrays`);
  if ("$array" in s) {
    const i = (s as { $array: unknown }).$array;
    if (!(Number.isInteger(i) && (i as number) >= 0 && (i as number) < used.length)) throw fail(`refers to array ${JSON.stringify(i)} at ${where}; it lists ${used.length}`);
    if (used[i as number]) throw fail(`uses array ${i} twice (again at ${where})`);
    used[i as number] = 1;
    return;
  }
  for (const [k, v] of Object.entries(s)) checkSkeleton(v, `${where}.${k}`, used, fail, depth + 1);
}

import { randomBytes } from "node:crypto";
import { closeSync, constants, fstatSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { crc32 } from "node:zlib";

/**
 * The compact binary form of an image dataset that the embedded loaders cache on disk.
 *
 * Layout (little-endian): an 8-byte magic `MMXIMGS\0`; u32 format version; u32 header length H
 * (a multiple of 8); u32 count N; u32 height, width, channels; u32 number of classes; u32 CRC-32 of
 * the payload; u32 byte length of the source tag; the tag (UTF-8), zero-padded to H. Then the payload:
 * N·height·width·channels pixel bytes (NHWC), then N label bytes. The tag says what the file was built
 * from (package, version, split rule); a file whose tag or version differs is stale.
 */
const MAGIC = "MMXIMGS\0";
export const CACHE_FORMAT_VERSION = 1;
const FIXED_HEADER = 44;

export interface CachedImages {
  pixels: Uint8Array;
  labels: Uint8Array;
  imageShape: readonly [number, number, number];
  numClasses: number;
}

/** The cache directory: `explicit`, else `$MMX_CACHE_DIR`, else `~/.cache/mmx`. */
export function cacheDir(explicit?: string): string {
  if (explicit) return explicit;
  const env = process.env["MMX_CACHE_DIR"];
  return env && env.length > 0 ? env : join(homedir(), ".cache", "mmx");
}

export function encodeImageCache(images: CachedImages, tag: string): Uint8Array {
  const [h, w, c] = images.imageShape;
  const n = images.labels.length;
  if (images.pixels.length !== n * h * w * c) throw new TypeError(`encodeImageCache: ${images.pixels.length} pixel bytes for ${n} images of ${h}x${w}x${c}`);
  const tagBytes = new TextEncoder().encode(tag);
  const headerLength = Math.ceil((FIXED_HEADER + tagBytes.length) / 8) * 8;
  const out = new Uint8Array(headerLength + images.pixels.length + n);
  out.set(images.pixels, headerLength);
  out.set(images.labels, headerLength + images.pixels.length);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) out[i] = MAGIC.charCodeAt(i);
  const fields = [CACHE_FORMAT_VERSION, headerLength, n, h, w, c, images.numClasses, crc32(out.subarray(headerLength)), tagBytes.length];
  fields.forEach((v, i) => view.setUint32(8 + 4 * i, v, true));
  out.set(tagBytes, FIXED_HEADER);
  return out;
}

/** Why a cache file cannot be used; the loader rebuilds it and reports this reason. */
export class StaleCacheError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`cache file ${path} is unusable: ${reason}`);
    this.name = "StaleCacheError";
  }
}

/** What a cache file must hold to be a hit: the loader's image shape and class count. */
export interface ExpectedImages {
  imageShape: readonly [number, number, number];
  numClasses: number;
}

/**
 * Decodes and verifies a cache file's bytes: magic, version, tag, header length, sizes, checksum,
 * label range, and (given `expected`) the image shape and class count, so that every header field is
 * pinned to what the loader would build and a file crafted with a valid checksum but other sizes is stale.
 */
export function decodeImageCache(bytes: Uint8Array, path: string, tag: string, expected?: ExpectedImages): CachedImages {
  const fail = (reason: string): never => {
    throw new StaleCacheError(path, reason);
  };
  if (bytes.length < FIXED_HEADER) fail(`only ${bytes.length} bytes, shorter than the ${FIXED_HEADER}-byte header`);
  for (let i = 0; i < 8; i++) if (bytes[i] !== MAGIC.charCodeAt(i)) fail("not an mmx image cache (bad magic)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [version, headerLength, n, h, w, c, numClasses, checksum, tagLength] = globalThis.Array.from({ length: 9 }, (_, i) => view.getUint32(8 + 4 * i, true)) as [number, number, number, number, number, number, number, number, number];
  if (version !== CACHE_FORMAT_VERSION) fail(`format version ${version}, expected ${CACHE_FORMAT_VERSION}`);
  if (FIXED_HEADER + tagLength > bytes.length) fail("header runs past the end of the file");
  const fileTag = new TextDecoder().decode(bytes.subarray(FIXED_HEADER, FIXED_HEADER + tagLength));
  if (fileTag !== tag) fail(`built from "${fileTag}", expected "${tag}"`);
  const wantHeader = Math.ceil((FIXED_HEADER + tagLength) / 8) * 8;
  if (headerLength !== wantHeader) fail(`header length ${headerLength}, expected ${wantHeader} for its ${tagLength}-byte tag`);
  if (expected) {
    const [eh, ew, ec] = expected.imageShape;
    if (h !== eh || w !== ew || c !== ec) fail(`images of ${h}x${w}x${c}, expected ${eh}x${ew}x${ec}`);
    if (numClasses !== expected.numClasses) fail(`${numClasses} classes, expected ${expected.numClasses}`);
  }
  if (numClasses < 1 || numClasses > 256) fail(`${numClasses} classes; a byte label allows 1 to 256`);
  const pixelBytes = n * h * w * c;
  const fileBytes = headerLength + pixelBytes + n;
  if (bytes.length !== fileBytes) fail(`${bytes.length} bytes, expected ${fileBytes} (truncated or padded)`);
  const payload = bytes.subarray(headerLength);
  const actual = crc32(payload);
  if (actual !== checksum) fail(`checksum mismatch (stored ${hex(checksum)}, computed ${hex(actual)})`);
  const labels = payload.subarray(pixelBytes);
  const bad = labels.findIndex((l) => l >= numClasses);
  if (bad >= 0) fail(`label ${labels[bad]} of example ${bad} is not below ${numClasses}`);
  return { pixels: payload.subarray(0, pixelBytes), labels, imageShape: [h, w, c], numClasses };
}

/**
 * Reads and verifies a cache file; a missing file is `undefined`, an unreadable or unusable one a StaleCacheError.
 * The header is read first: a file whose size differs from what its header implies, or (given `expected`) whose
 * images or classes differ from the loader's, is refused without reading the rest, however large it is.
 */
export function readImageCache(path: string, tag: string, expected?: ExpectedImages): CachedImages | undefined {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO by that name would otherwise wait for a writer forever (fstat below refuses it).
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw new StaleCacheError(path, `cannot be read (${code ?? (e as Error).message})`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new StaleCacheError(path, stat.isDirectory() ? "is a folder, not a file" : "is not a regular file");
    const head = readAt(fd, 0, Math.min(stat.size, FIXED_HEADER));
    if (head.length === FIXED_HEADER) checkSizeFromHeader(head, stat.size, path, expected);
    // A plain Uint8Array, not a Node Buffer: code that copies with `new x.constructor(n)` would
    // otherwise call the deprecated Buffer(n) (DEP0005).
    return decodeImageCache(readAt(fd, 0, stat.size), path, tag, expected);
  } catch (e) {
    if (e instanceof StaleCacheError) throw e;
    throw new StaleCacheError(path, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  } finally {
    closeSync(fd);
  }
}

/** The header's sizes against the file's and the loader's, before the payload is read. */
function checkSizeFromHeader(head: Uint8Array, fileSize: number, path: string, expected: ExpectedImages | undefined): void {
  for (let i = 0; i < 8; i++) if (head[i] !== MAGIC.charCodeAt(i)) throw new StaleCacheError(path, "not an mmx image cache (bad magic)");
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const [headerLength, n, h, w, c, numClasses] = [12, 16, 20, 24, 28, 32].map((at) => view.getUint32(at, true)) as [number, number, number, number, number, number];
  if (expected) {
    const [eh, ew, ec] = expected.imageShape;
    if (h !== eh || w !== ew || c !== ec) throw new StaleCacheError(path, `images of ${h}x${w}x${c}, expected ${eh}x${ew}x${ec}`);
    if (numClasses !== expected.numClasses) throw new StaleCacheError(path, `${numClasses} classes, expected ${expected.numClasses}`);
  }
  const implied = headerLength + n * h * w * c + n;
  if (implied !== fileSize) throw new StaleCacheError(path, `${fileSize} bytes, but its header implies ${implied} (truncated or padded); not read`);
}

function readAt(fd: number, position: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const got = readSync(fd, out, done, length - done, position + done);
    if (got === 0) break;
    done += got;
  }
  return done === length ? out : out.subarray(0, done);
}

/**
 * Writes a file so that readers see either the old file or the whole new one, never a part: the
 * bytes go to a uniquely named temporary file in the same directory, then a rename replaces the
 * target (atomic on POSIX file systems).
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

function hex(v: number): string {
  return `0x${v.toString(16).padStart(8, "0")}`;
}

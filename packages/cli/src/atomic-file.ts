import * as fs from "node:fs";
import { dirname } from "node:path";
import { tempPathFor } from "./run-folder.js";

/** The file-system calls an atomic write makes; tests pass a faulty one to simulate a crash. */
export interface FileIo {
  openSync: typeof fs.openSync;
  writeSync: (fd: number, buffer: Uint8Array, offset: number, length: number) => number;
  fsyncSync: typeof fs.fsyncSync;
  closeSync: typeof fs.closeSync;
  renameSync: typeof fs.renameSync;
  rmSync: typeof fs.rmSync;
}

export const nodeIo: FileIo = {
  openSync: fs.openSync,
  writeSync: (fd, buffer, offset, length) => fs.writeSync(fd, buffer, offset, length),
  fsyncSync: fs.fsyncSync,
  closeSync: fs.closeSync,
  renameSync: fs.renameSync,
  rmSync: fs.rmSync,
};

/**
 * Writes `chunks` to `path` so that a reader (or a crash) sees either the old file or the whole new
 * one, never a part: write a temporary file unique to this writer (`path.<pid>.<random>.tmp`, so that
 * two writers never share one), flush it to disk, rename it over `path` (atomic on POSIX), then flush
 * the folder so the rename itself survives a power cut. A failed write removes the temp file.
 */
export function writeFileAtomic(path: string, chunks: readonly Uint8Array[], io: FileIo = nodeIo): void {
  const tmp = tempPathFor(path);
  let fd: number | undefined;
  try {
    fd = io.openSync(tmp, "w");
    for (const chunk of chunks) {
      let done = 0;
      while (done < chunk.length) done += io.writeSync(fd, chunk, done, chunk.length - done);
    }
    io.fsyncSync(fd);
    io.closeSync(fd);
    fd = undefined;
    io.renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) {
      try {
        io.closeSync(fd);
      } catch {
        // already failing: the first error is the one to report
      }
    }
    io.rmSync(tmp, { force: true });
    throw e;
  }
  syncDir(dirname(path));
}

function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, "r");
    fs.fsyncSync(fd);
  } catch {
    // Some file systems cannot fsync a folder; the rename is still atomic.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** JSON through {@link writeFileAtomic}. */
export function writeJsonAtomic(path: string, value: unknown, io: FileIo = nodeIo): void {
  writeFileAtomic(path, [new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`)], io);
}

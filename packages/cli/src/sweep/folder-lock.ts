import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { UsageError } from "../errors.js";

/**
 * Holds `path` (a lock file) for this process: one sweep process writes a sweep folder at a time. A
 * lock left by a process of this host that no longer runs (killed) is taken over; one of another
 * host is respected (its process cannot be checked from here). Returns the release.
 */
export function lockFolder(path: string, folder: string): () => void {
  const me = { host: hostname(), pid: process.pid };
  for (let tries = 0; tries < 2; tries++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const holder = readHolder(path);
      if (holder && holder.host === me.host && !alive(holder.pid)) {
        rmSync(path, { force: true });
        continue;
      }
      const who = holder ? `process ${holder.pid} on ${holder.host}` : "another process";
      throw new UsageError(`mmx sweep: ${folder} is in use by ${who} (${path}); wait for it, or remove ${path} if that process is gone`);
    }
  }
  throw new UsageError(`mmx sweep: cannot take the lock ${path} of ${folder}`);
}

function readHolder(path: string): { host: string; pid: number } | undefined {
  try {
    const h = JSON.parse(readFileSync(path, "utf8")) as { host: string; pid: number };
    return typeof h.host === "string" && Number.isInteger(h.pid) ? h : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

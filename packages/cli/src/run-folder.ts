import { randomBytes } from "node:crypto";
import { accessSync, closeSync, constants, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, statSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join, parse, resolve } from "node:path";
import { UsageError } from "./errors.js";

/**
 * Checks that `dir` can be a run folder before anything slow happens (loading data, compiling): it is a
 * folder or can be made one, and this user may write there. `flag` names where the path came from.
 */
export function checkOutFolder(dir: string, flag = "--out"): void {
  if (dir.includes("\0")) throw new UsageError(`${flag} ${JSON.stringify(dir)}: a path cannot hold a NUL character`);
  // A run's files and lock would land among the system's folders (and root may write there).
  if (resolve(dir) === parse(resolve(dir)).root) throw new UsageError(`${flag} ${dir} is the root of the file system; give a folder for the run`);
  let existing = resolve(dir);
  for (;;) {
    const kind = kindOf(existing);
    if (kind === "folder") break;
    const where = existing === resolve(dir) ? `${flag} ${dir}` : `${flag} ${dir} lies under ${existing}, which`;
    if (kind === "other") {
      throw new UsageError(existing === resolve(dir) ? `${flag} ${dir} is a file, not a folder; give a folder for the run` : `${where} is a file, not a folder`);
    }
    if (kind === "loop") throw new UsageError(`${where} is a symbolic link that leads back to itself (ELOOP)`);
    if (kind === "dangling") throw new UsageError(`${where} is a symbolic link to ${readlinkSync(existing)}, which does not exist; make that folder or remove the link`);
    const parent = dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  try {
    accessSync(existing, constants.W_OK | constants.X_OK);
  } catch {
    throw new UsageError(`${flag} ${dir}: cannot write in ${existing} (permission denied)`);
  }
}

function kindOf(path: string): "folder" | "other" | "missing" | "dangling" | "loop" {
  try {
    return statSync(path).isDirectory() ? "folder" : "other";
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // lstat fails too when a folder above is the loop: climbing up finds which.
    const isLink = () => {
      try {
        return lstatSync(path).isSymbolicLink();
      } catch {
        return false;
      }
    };
    if (code === "ELOOP") return isLink() ? "loop" : "missing";
    // A link to nothing: making the folder would fail with EEXIST on the link itself.
    if (code === "ENOENT" && isLink()) return "dangling";
    // ENOTDIR: a part of the path is a file; climbing up finds which.
    if (code === "ENOENT" || code === "ENOTDIR") return "missing";
    throw e;
  }
}

/** Who holds a run folder: written into its lock file. */
export interface LockOwner {
  pid: number;
  host: string;
  /** ISO time the owner took the lock. */
  startedAt: string;
  /** What it is doing ("mmx train"), for the message a second run gets. */
  command: string;
}

export const LOCK_FILE = "run.lock";

/** A lock whose holder vanished while writing it (empty or unreadable) is stale after this long. */
const UNREADABLE_LOCK_STALE_MS = 10_000;

export interface RunLock {
  readonly path: string;
  readonly owner: LockOwner;
  /** Removes the lock if it is still this one's. */
  release(): void;
}

/**
 * Takes ownership of run folder `dir` (creating it; a sweep folder names its own `lockFile`): the lock file is created with O_EXCL, so of two
 * runs started at once exactly one gets it. A lock left by a run that died (its pid is gone on this
 * host) is taken over, with a note through `log`; a live run's lock is a UsageError saying who holds
 * it. Temporary files that a killed writer left in the folder are removed once the lock is held. A
 * folder made here and still empty at release (the run failed before writing) is removed again.
 */
export function acquireRunLock(dir: string, command: string, log: (line: string) => void = () => {}, lockFile: string = LOCK_FILE): RunLock {
  /** The outermost folder this call made, if it made any. */
  const created = makeFolder(dir);
  const path = join(dir, lockFile);
  const owner: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), command };
  for (let attempt = 0; ; attempt++) {
    if (attempt > 50) throw new UsageError(`--out ${dir}: cannot take the run folder's lock ${path} (it keeps changing)`);
    if (tryCreate(path, owner)) break;
    const held = readLock(path);
    if (held === "missing") continue;
    const stale = staleness(held, path);
    if (stale === undefined || attempt >= 3) {
      const who = held === "unreadable" ? "another run (its lock file is being written)" : `${held.command} (pid ${held.pid} on ${held.host}, started ${held.startedAt})`;
      const hint = held !== "unreadable" && held.host !== owner.host ? `; if that run is over, delete ${path}` : "";
      throw new UsageError(`${dir} is in use by ${who}; wait for it to finish or choose another --out${hint}`);
    }
    // Two runs may find the same stale lock: a second lock file, taken with O_EXCL, lets one replace it.
    const takeover = `${path}.takeover`;
    if (!tryCreate(takeover, owner)) {
      const t = readLock(takeover);
      if (t !== "missing" && staleness(t, takeover) !== undefined) rmSync(takeover, { force: true });
      continue;
    }
    try {
      const again = readLock(path);
      if (again === "missing" || (staleness(again, path) !== undefined && sameLock(again, held))) {
        rmSync(path, { force: true });
        log(`note: ${dir} was locked by ${stale}; taking it over`);
      }
    } finally {
      rmSync(takeover, { force: true });
    }
  }
  removeOrphanedTemps(dir);
  return {
    path,
    owner,
    release() {
      const now = readLock(path);
      if (now !== "missing" && now !== "unreadable" && sameLock(now, owner)) rmSync(path, { force: true });
      // A run that failed before writing anything leaves no empty folder behind.
      try {
        if (created === undefined) return;
        for (let d = resolve(dir); readdirSync(d).length === 0; d = dirname(d)) {
          rmdirSync(d);
          if (d === resolve(created)) break;
        }
      } catch {
        // Another run has put its lock there in the meantime, or it is gone already: leave it.
      }
    },
  };
}

/**
 * `mkdir -p`, one folder at a time: Node's recursive mkdir never returns for a path under /proc. Returns
 * the outermost folder it made, or undefined if `dir` existed; a folder that cannot be made is a
 * UsageError naming it.
 */
export function makeFolder(dir: string): string | undefined {
  const missing: string[] = [];
  for (let d = resolve(dir); !existsSync(d); d = dirname(d)) {
    if (dirname(d) === d) break;
    missing.unshift(d);
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "EEXIST") throw new UsageError(`--out ${dir}: cannot make the folder ${d} (${code ?? (e as Error).message})`);
    }
  }
  return missing[0];
}

function tryCreate(path: string, owner: LockOwner): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    // The folder went away: a run that failed before writing anything removed it on release.
    if (code === "ENOENT") {
      makeFolder(dirname(path));
      return false;
    }
    throw e;
  }
  try {
    writeSync(fd, `${JSON.stringify(owner)}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

function readLock(path: string): LockOwner | "missing" | "unreadable" {
  let text: string;
  try {
    // A folder or a FIFO by that name is no lock a run wrote (and reading a FIFO would wait forever).
    const stat = statSync(path);
    if (!stat.isFile()) throw new UsageError(`${path} is ${stat.isDirectory() ? "a folder" : "not a regular file"}, not a lock file of mmx; remove it`);
    text = readFileSync(path, "utf8");
  } catch (e) {
    if (e instanceof UsageError) throw e;
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return "missing";
    return "unreadable";
  }
  try {
    const v = JSON.parse(text) as Partial<LockOwner>;
    if (Number.isSafeInteger(v.pid) && (v.pid as number) >= 1 && typeof v.host === "string" && typeof v.startedAt === "string" && typeof v.command === "string") return v as LockOwner;
  } catch {
    // A lock file cut short: judged by its age below.
  }
  return "unreadable";
}

/** Why the lock is stale ("a run that is no longer running: pid 12 on host, started …"), or undefined if it is live. */
function staleness(held: LockOwner | "unreadable", path: string): string | undefined {
  if (held === "unreadable") {
    let age = 0;
    try {
      age = Date.now() - statSync(path).mtimeMs;
    } catch {
      return "a lock file that has since gone";
    }
    return age > UNREADABLE_LOCK_STALE_MS ? `an unreadable lock file ${Math.round(age / 1000)} s old` : undefined;
  }
  if (held.host !== hostname()) return undefined;
  if (held.pid === process.pid || processAlive(held.pid)) return undefined;
  return `${held.command} (pid ${held.pid}, started ${held.startedAt}), which is no longer running`;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function sameLock(a: LockOwner | "unreadable", b: LockOwner | "unreadable"): boolean {
  if (a === "unreadable" || b === "unreadable") return a === b;
  return a.pid === b.pid && a.host === b.host && a.startedAt === b.startedAt;
}

/** The name of a temporary file for `path`, unique to this writer: two writers never share one. */
export function tempPathFor(path: string): string {
  return `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
}

const TEMP_NAME = /\.\d+\.[0-9a-f]{12}\.tmp$/;

/** Temporary files of writers that died before their rename: only the lock holder may remove them. */
function removeOrphanedTemps(dir: string): void {
  for (const name of readdirSync(dir)) if (TEMP_NAME.test(name)) rmSync(join(dir, name), { force: true });
}

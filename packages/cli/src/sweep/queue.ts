import { Redis, type RedisOptions } from "ioredis";
import type { JobsOptions } from "bullmq";
import { UsageError } from "../errors.js";
import type { Cell } from "./cells.js";
import type { CellResult } from "./run-cell.js";

/** The BullMQ queue every sweep and worker of a Redis share (cells of different sweeps with the same config are one job). */
export const QUEUE_NAME = "mmx-sweep-cells";

/** A job's data: the cell, whole (a worker needs nothing else to run it). */
export interface CellJobData {
  cell: Cell;
}

/**
 * A job's return value: the result, and the run folder's files (base64), which the sweep process
 * writes into its own folder. Workers need no shared file system, and the sweep folder has one writer.
 */
export interface CellJobReturn {
  result: CellResult;
  files: Record<string, string>;
  /** host:pid of the worker that finished it. */
  worker: string;
  seconds: number;
}

/** The job of a cell: its id is the cell's hash, so adding a cell twice adds one job. */
export const jobIdOf = (cellId: string) => `cell-${cellId}`;

/** Job options: bounded attempts with a short fixed backoff; finished jobs kept a week, then dropped by BullMQ. */
export function jobOptions(cellId: string, attempts: number): JobsOptions {
  const week = 7 * 24 * 3600;
  return { jobId: jobIdOf(cellId), attempts, backoff: { type: "fixed", delay: 1000 }, removeOnComplete: { age: week }, removeOnFail: { age: week } };
}

/** Checks a `--queue` value: redis://host:port (or rediss://, with user, password and db as Redis URLs allow). */
export function parseQueueUrl(text: string, flag = "--queue"): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${flag} '${text}' is not a URL; give redis://host:port`);
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") throw new UsageError(`${flag} '${text}': the queue is Redis (BullMQ); give redis://host:port, not ${url.protocol}//`);
  if (!url.hostname) throw new UsageError(`${flag} '${text}' names no host; give redis://host:port`);
  return text;
}

/**
 * Connects once, with no retries, and pings: a queue that does not answer is a one-line error naming
 * it (refused, unknown host, timed out, not Redis, or a Redis too old for BullMQ).
 */
export async function probeQueue(url: string, flag = "--queue"): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  let lastError: Error | undefined;
  client.on("error", (e: Error) => (lastError = e));
  try {
    await client.connect();
    await client.ping();
    const info = await client.info("server");
    const version = /redis_version:(\d+)/.exec(info)?.[1];
    if (version !== undefined && Number(version) < 5) throw new UsageError(`${flag} ${url}: Redis ${version} is too old for BullMQ (5 or later)`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const why = (lastError ?? (e as Error)).message.split("\n")[0];
    throw new UsageError(`${flag} ${url} does not answer (${why}); start Redis there, or leave ${flag} out to run the cells on this machine`);
  } finally {
    client.disconnect();
  }
}

/**
 * A long-lived connection that reconnects forever (backing off to 2 s between tries), so that a
 * Redis restart is a pause. `failFast`: commands fail while disconnected (the sweep's poll loop
 * retries them and bounds the wait); otherwise they wait for the reconnect (BullMQ workers need this).
 * Connection errors go to `onError`, which should throttle them.
 */
export function connectQueue(url: string, opts: { failFast: boolean; onError: (e: Error) => void }): Redis {
  const options: RedisOptions = {
    maxRetriesPerRequest: opts.failFast ? 1 : null,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(2000, 100 * times),
  };
  const client = new Redis(url, options);
  client.on("error", opts.onError);
  return client;
}

/** Logs the first connection error and then one a minute, and says when the connection is back. */
export function connectionReporter(log: (line: string) => void, what: string): { onError: (e: Error) => void; onReady: () => void } {
  let down = false;
  let lastLogged = -Infinity;
  return {
    onError: (e) => {
      const now = Date.now();
      if (!down || now - lastLogged > 60_000) log(`${what}: the queue connection failed (${e.message.split("\n")[0]}); retrying`);
      if (!down || now - lastLogged > 60_000) lastLogged = now;
      down = true;
    },
    onReady: () => {
      if (down) log(`${what}: the queue connection is back`);
      down = false;
    },
  };
}

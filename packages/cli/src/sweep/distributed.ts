import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Queue, type Job } from "bullmq";
import { writeFileAtomic, writeJsonAtomic } from "../atomic-file.js";
import { runFiles } from "../run-files.js";
import type { Cell } from "./cells.js";
import { cellDir } from "./folder.js";
import { connectionReporter, connectQueue, jobIdOf, jobOptions, QUEUE_NAME, type CellJobData, type CellJobReturn } from "./queue.js";
import { cellResultFile, type CellResult } from "./run-cell.js";
import type { SweepStatus } from "./status.js";
import { SweepFailed } from "./sweep-failed.js";

export interface QueueSweepOptions {
  url: string;
  cells: readonly Cell[];
  out: string;
  status: SweepStatus;
  /** Attempts per cell before it counts as failed (a worker that dies mid-cell costs none: BullMQ's stall check retries it). */
  attempts: number;
  /** Seconds without an answer from the queue before the sweep gives up (the cells stay queued). */
  patienceSeconds: number;
  /** Seconds between looks at the queue. */
  pollSeconds?: number;
  log: (line: string) => void;
  /** Called with each cell result as it is collected. */
  onResult: (cell: Cell, result: CellResult, seconds: number, worker: string) => void;
}

/** The run folder files a worker may send back: nothing else is written. */
const RUN_FILE_NAMES = new Set(Object.values(runFiles("")).map((p) => p.replace(/^[/\\]/, "")));

/**
 * Enqueues the cells in BullMQ (one job per cell, job id = cell hash) and collects the results that
 * `mmx worker` processes return, writing each cell's run folder here. A cell is collected once, when
 * its job is completed; a job that exhausted its attempts fails its cell. A job found failed from an
 * earlier sweep is removed and added again; one found completed is collected. The queue may go away
 * for up to `patienceSeconds` (a Redis restart): the loop keeps asking.
 */
export async function runOnQueue(opts: QueueSweepOptions): Promise<void> {
  const reporter = connectionReporter(opts.log, "sweep");
  const client = connectQueue(opts.url, { failFast: true, onError: reporter.onError });
  client.on("ready", reporter.onReady);
  const queue = new Queue<CellJobData, CellJobReturn>(QUEUE_NAME, { connection: client });
  queue.on("error", () => {}); // reported once through the connection's own error handler
  const byJob = new Map(opts.cells.map((c) => [jobIdOf(c.id), c]));
  const left = new Set(byJob.keys());
  let unansweredSince: number | undefined;
  const patient = async <T>(op: () => Promise<T>): Promise<T | undefined> => {
    try {
      const r = await op();
      unansweredSince = undefined;
      return r;
    } catch (e) {
      unansweredSince ??= Date.now();
      if (Date.now() - unansweredSince > opts.patienceSeconds * 1000) {
        throw new SweepFailed(`the queue ${opts.url} has not answered for ${opts.patienceSeconds} s (${(e as Error).message.split("\n")[0]}); ${left.size} cells are left in it: run the same mmx sweep again to collect them`);
      }
      return undefined;
    }
  };
  const add = (cell: Cell) => queue.add("cell", { cell }, jobOptions(cell.id, opts.attempts));

  try {
    // Enqueue, retrying while the queue does not answer.
    const toAdd = [...opts.cells];
    while (toAdd.length > 0) {
      const cell = toAdd[0]!;
      const done = await patient(async () => {
        const job = (await queue.getJob(jobIdOf(cell.id))) as Job<CellJobData, CellJobReturn> | undefined;
        if (job && (await job.getState()) === "failed") {
          await job.remove();
          await add(cell);
        } else if (!job) {
          await add(cell);
        }
        return true;
      });
      if (done) toAdd.shift();
      else await sleep(500);
    }
    opts.log(`enqueued ${opts.cells.length} cells in BullMQ queue '${QUEUE_NAME}' at ${opts.url}; start workers with: mmx worker --queue ${opts.url}`);

    // Collect.
    const pollMs = (opts.pollSeconds ?? 0.5) * 1000;
    while (left.size > 0) {
      opts.status.show();
      await sleep(pollMs);
      for (const jobId of [...left]) {
        const cell = byJob.get(jobId)!;
        // Only the queue's answers are waited for patiently; what is done with them (writing files) fails at once.
        const seen = await patient(async () => {
          // The state first, then the job: a job read before it completed would lack its return value.
          const state = await queue.getJobState(jobId);
          const job = state === "unknown" ? undefined : ((await queue.getJob(jobId)) as Job<CellJobData, CellJobReturn> | undefined);
          if (!job) {
            // Gone from the queue (a Redis that restarted without its data, or removed by hand): add it again.
            await add(cell);
            return { job: undefined, state: "re-added" };
          }
          return { job, state };
        });
        if (!seen) break;
        const { job, state } = seen;
        if (!job) {
          opts.log(`${cell.label}: its job was no longer in the queue; added it again`);
          opts.status.requeue(cell.id);
        } else if (state === "completed") {
          collect(cell, job.returnvalue, opts);
          left.delete(jobId);
        } else if (state === "failed") {
          opts.status.fail(cell.id, `${job.failedReason ?? "failed"} (after ${job.attemptsMade} attempt${job.attemptsMade === 1 ? "" : "s"})`);
          opts.log(`${cell.label}: failed: ${job.failedReason}`);
          left.delete(jobId);
        } else if (state === "active") {
          opts.status.start(cell.id, job.processedBy);
        } else {
          opts.status.requeue(cell.id);
        }
      }
    }
    opts.status.show();
  } finally {
    await queue.close().catch(() => {});
    client.disconnect();
  }
}

/** Writes a completed job's run folder and result here (result last: it marks the cell finished). */
function collect(cell: Cell, value: CellJobReturn, opts: QueueSweepOptions): void {
  if (!value || value.result?.id !== cell.id) throw new SweepFailed(`the queue returned a result for ${value?.result?.id ?? "nothing"} as the result of cell ${cell.id} (${cell.label}); is another program using BullMQ queue '${QUEUE_NAME}'?`);
  const dir = cellDir(opts.out, cell.id);
  mkdirSync(dir, { recursive: true });
  for (const [name, base64] of Object.entries(value.files)) {
    if (!RUN_FILE_NAMES.has(name)) throw new SweepFailed(`the worker ${value.worker} sent back a file '${name}' for cell ${cell.id}; a cell's files are ${[...RUN_FILE_NAMES].join(", ")}`);
    writeFileAtomic(join(dir, name), [Buffer.from(base64, "base64")]);
  }
  writeJsonAtomic(cellResultFile(dir), value.result);
  if (opts.status.finish(cell.id, value.seconds)) opts.onResult(cell, value.result, value.seconds, value.worker);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

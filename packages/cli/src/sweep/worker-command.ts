import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { basename, join } from "node:path";
import { UnrecoverableError, Worker, type Job } from "bullmq";
import { formatOptions, getFlag, getNumber, getString, parseArgs, type OptionSpec } from "../args.js";
import type { CliIo } from "../commands.js";
import { UsageError } from "../errors.js";
import { formatDuration } from "../progress.js";
import { runFiles } from "../run-files.js";
import { cellId } from "./cells.js";
import { cellRunner, type CellRunner } from "./runner.js";
import { connectionReporter, connectQueue, parseQueueUrl, probeQueue, QUEUE_NAME, type CellJobData, type CellJobReturn } from "./queue.js";

export const WORKER_OPTIONS: readonly OptionSpec[] = [
  { name: "queue", kind: "string", placeholder: "URL", help: "the Redis of the sweep's queue: redis://host:port" },
  { name: "jobs", kind: "int", placeholder: "N", help: "cells trained at once, each in a worker thread", defaultText: "1" },
  { name: "lock-seconds", kind: "int", placeholder: "S", help: "a cell whose worker stops renewing its lock for S seconds (a killed worker) is handed to another worker", defaultText: "30" },
  { name: "quiet", kind: "flag", help: "no progress output" },
];

/**
 * `mmx worker --queue redis://host:port`: takes cells from the sweeps' BullMQ queue, trains each in a
 * temporary run folder, and returns the result with the run folder's files as the job's return value
 * (the sweep process writes them). Runs until SIGINT or SIGTERM, then finishes its current cells.
 * Redis going away is a pause: the connection is retried until it is back.
 */
export async function workerCommand(argv: readonly string[], io: CliIo): Promise<void> {
  const args = parseArgs(argv, WORKER_OPTIONS, "worker");
  if (args.help) return io.stdout(`mmx worker --queue redis://host:port: trains the cells of mmx sweep --queue runs, from any number of machines\n\n${formatOptions(WORKER_OPTIONS)}\n`);
  const given = getString(args, "queue");
  if (!given) throw new UsageError("mmx worker needs --queue redis://host:port: the Redis that mmx sweep --queue enqueues into");
  const url = parseQueueUrl(given);
  const jobs = getNumber(args, "jobs") ?? 1;
  if (!(jobs >= 1)) throw new UsageError(`mmx worker: --jobs must be at least 1, got ${jobs}`);
  const lockSeconds = getNumber(args, "lock-seconds") ?? 30;
  if (!(lockSeconds >= 1)) throw new UsageError(`mmx worker: --lock-seconds must be at least 1, got ${lockSeconds}`);
  await probeQueue(url);

  const name = `${hostname()}:${process.pid}`;
  const log = getFlag(args, "quiet") ? () => {} : (line: string) => io.stderr.write(`worker ${name}: ${line}\n`);
  const runners = new Map<string, Promise<CellRunner>>();
  // One runner per backend: its threads are set up for that backend.
  const runnerFor = (backend: string) => {
    let r = runners.get(backend);
    // In worker threads: training blocks its thread for seconds at a time, and this thread must keep renewing the job locks.
    if (!r) runners.set(backend, (r = cellRunner(jobs, backend, log, { threadEvenForOne: true })));
    return r;
  };
  const reporter = connectionReporter(log, "worker");
  const client = connectQueue(url, { failFast: false, onError: reporter.onError });
  client.on("ready", reporter.onReady);

  const process_ = async (job: Job<CellJobData, CellJobReturn>): Promise<CellJobReturn> => {
    const { cell } = job.data;
    if (!cell || cellId(cell.config, cell.fgsmEps) !== cell.id) throw new UnrecoverableError(`job ${job.id} holds no cell of this mmx version (its id does not match its config)`);
    log(`started ${cell.id} ${cell.label} (attempt ${job.attemptsStarted})`);
    const started = performance.now();
    const scratch = mkdtempSync(join(tmpdir(), "mmx-worker-"));
    const dir = join(scratch, cell.id);
    try {
      const result = await (await runnerFor(cell.config.backend)).run(cell, dir);
      const files = Object.fromEntries(Object.values(runFiles(dir)).filter(existsSync).map((p) => [basename(p), readFileSync(p).toString("base64")]));
      const seconds = (performance.now() - started) / 1000;
      log(`finished ${cell.id} ${cell.label}: test error ${(100 * result.final.testError).toFixed(2)}% (${formatDuration(seconds)})`);
      return { result, files, worker: name, seconds };
    } catch (e) {
      log(`failed ${cell.id} ${cell.label}: ${(e as Error).message.split("\n")[0]}`);
      throw e;
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  };

  const worker = new Worker<CellJobData, CellJobReturn>(QUEUE_NAME, process_, {
    connection: client,
    name,
    concurrency: jobs,
    lockDuration: lockSeconds * 1000,
    stalledInterval: lockSeconds * 1000,
    // A cell whose worker died twice (its lock lapsed twice) fails rather than circulating forever.
    maxStalledCount: 2,
  });
  // Errors of the worker itself (a lock it lost while Redis was away: its result is then dropped, and the retry's counts).
  worker.on("error", (e) => (client.status === "ready" ? log(`queue: ${e.message.split("\n")[0]}`) : reporter.onError(e)));
  log(`taking cells from BullMQ queue '${QUEUE_NAME}' at ${url}, ${jobs} at a time; stop with Ctrl-C`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log(`${signal}: finishing the current cells, then stopping`);
      void worker
        .close()
        .then(async () => Promise.all([...runners.values()].map(async (r) => (await r).close())))
        .finally(() => {
          client.disconnect();
          resolve();
        });
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
}

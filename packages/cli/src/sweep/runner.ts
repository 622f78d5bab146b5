import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { setRunThreads, threadsPerRun } from "../backends.js";
import type { Cell } from "./cells.js";
import { runCell, type CellResult } from "./run-cell.js";

/** Runs cells on this machine: one at a time in this thread, or several in worker threads. */
export interface CellRunner {
  /** Cells it runs at once. */
  readonly parallel: number;
  /** Says how, for the log. */
  readonly description: string;
  run(cell: Cell, dir: string): Promise<CellResult>;
  close(): Promise<void>;
}

/** What a cell thread posts back. */
export type CellThreadMessage = { type: "done"; id: string; result: CellResult } | { type: "error"; id: string; message: string } | { type: "log"; line: string };

/** What a cell thread is sent. */
export interface CellThreadTask {
  cell: Cell;
  dir: string;
}

const threadScript = new URL("./cell-thread.js", import.meta.url);

/**
 * `jobs` worker threads (each trains one cell at a time; on onnx each gets its share of the cores as
 * intra-op threads), or this thread where `jobs` is 1 or no compiled thread script exists (the
 * TypeScript sources under a test runner). `threadEvenForOne`: a thread for a single job too, so that
 * this thread's event loop stays free while a cell trains (a queue worker renews its job locks there).
 */
export async function cellRunner(jobs: number, backend: string, log: (line: string) => void, opts: { threadEvenForOne?: boolean } = {}): Promise<CellRunner> {
  const threads = threadsPerRun(jobs);
  if ((jobs > 1 || opts.threadEvenForOne) && existsSync(fileURLToPath(threadScript))) return new ThreadPool(jobs, backend, threads, log);
  if (jobs > 1) log(`(one cell at a time: no compiled thread script next to ${fileURLToPath(import.meta.url)}; build the package to run ${jobs} at once)`);
  await setRunThreads(backend, threads);
  // One at a time even when asked for more at once: cells in one thread would interleave their steps.
  let queue: Promise<unknown> = Promise.resolve();
  const run = (cell: Cell, dir: string) => {
    const next = queue.then(() => runCell(cell, dir));
    queue = next.catch(() => {});
    return next;
  };
  return { parallel: 1, description: "one cell at a time in this thread", run, close: async () => {} };
}

interface Slot {
  worker: Worker;
  task?: { id: string; resolve: (r: CellResult) => void; reject: (e: Error) => void };
}

class ThreadPool implements CellRunner {
  readonly description: string;
  private readonly slots: Slot[] = [];
  private readonly waiting: { task: CellThreadTask; resolve: (r: CellResult) => void; reject: (e: Error) => void }[] = [];
  private closed = false;

  constructor(
    readonly parallel: number,
    private readonly backend: string,
    private readonly threads: number,
    private readonly log: (line: string) => void,
  ) {
    this.description = parallel === 1 ? "one cell at a time, in a worker thread" : `${parallel} cells at a time, each in a worker thread`;
    for (let i = 0; i < parallel; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const slot: Slot = { worker: new Worker(threadScript, { workerData: { backend: this.backend, threads: this.threads } }) };
    slot.worker.on("message", (m: CellThreadMessage) => {
      if (m.type === "log") return this.log(m.line);
      const task = slot.task;
      slot.task = undefined;
      if (m.type === "done") task?.resolve(m.result);
      else task?.reject(new Error(m.message));
      this.pump();
    });
    // A thread that dies (out of memory, a crash in native code) fails its cell; a fresh thread takes its place.
    const replace = (why: string) => {
      const task = slot.task;
      slot.task = undefined;
      task?.reject(new Error(`its worker thread stopped: ${why}`));
      const i = this.slots.indexOf(slot);
      if (i >= 0 && !this.closed) {
        this.slots[i] = this.spawn();
        this.pump();
      }
    };
    slot.worker.on("error", (e) => replace(e.message));
    slot.worker.on("exit", (code) => replace(`exit code ${code}`));
    return slot;
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.task) continue;
      const next = this.waiting.shift();
      if (!next) return;
      slot.task = { id: next.task.cell.id, resolve: next.resolve, reject: next.reject };
      slot.worker.postMessage(next.task);
    }
  }

  run(cell: Cell, dir: string): Promise<CellResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ task: { cell, dir }, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

import { parentPort, workerData } from "node:worker_threads";
import { setRunThreads } from "../backends.js";
import type { ProgressSink, ProgressState } from "../progress.js";
import { type Job, runJob, type WorkerMessage } from "./pipeline.js";

/**
 * A worker thread of `mmx reproduce --jobs N`: trains the jobs it is sent, one at a time, and posts
 * back progress and each run's outcome. Its data loads are kept between jobs.
 */
const port = parentPort!;
const { out, backend, grid, threads } = workerData as { out: string; backend: string; grid: number; threads?: number };
const send = (m: WorkerMessage) => port.postMessage(m);
// Each worker's share of the cores (onnx: its intra-op threads), set before any program is compiled.
const ready = threads === undefined ? Promise.resolve(undefined) : setRunThreads(backend, threads);

port.on("message", (job: Job) => {
  let last = 0;
  const progress: ProgressSink = {
    update(state: ProgressState) {
      // The main thread redraws at most 10 times a second; so do we post.
      const now = performance.now();
      if (!state.final && now - last < 100) return;
      last = now;
      send({ type: "progress", index: job.index, state });
    },
    log: (line) => send({ type: "log", line }),
    done: () => {},
  };
  ready.then(() => runJob(job, { out, backend, grid, progress })).then(
    (outcome) => send({ type: "done", index: job.index, outcome }),
    (e: unknown) => send({ type: "error", index: job.index, message: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
  );
});

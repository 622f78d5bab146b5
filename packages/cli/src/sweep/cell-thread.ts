import { parentPort, workerData } from "node:worker_threads";
import { setRunThreads } from "../backends.js";
import { runCell } from "./run-cell.js";
import type { CellThreadMessage, CellThreadTask } from "./runner.js";

/** A worker thread of an embedded sweep: trains the cells it is sent, one at a time; its data loads are kept between cells. */
const port = parentPort!;
const { backend, threads } = workerData as { backend: string; threads: number };
const send = (m: CellThreadMessage) => port.postMessage(m);
// The thread's share of the cores (onnx: its intra-op threads), set before any program is compiled.
const ready = setRunThreads(backend, threads);

port.on("message", ({ cell, dir }: CellThreadTask) => {
  ready
    .then(() => runCell(cell, dir, { progress: { update: () => {}, log: (line) => send({ type: "log", line }), done: () => {} } }))
    .then(
      (result) => send({ type: "done", id: cell.id, result }),
      (e: unknown) => send({ type: "error", id: cell.id, message: e instanceof Error ? e.message : String(e) }),
    );
});

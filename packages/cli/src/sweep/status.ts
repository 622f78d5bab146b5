import { writeJsonAtomic } from "../atomic-file.js";
import { formatDuration, type Progress } from "../progress.js";
import type { Cell } from "./cells.js";

export type CellState = "pending" | "running" | "done" | "failed";

interface Entry {
  cell: Cell;
  state: CellState;
  /** Finished in an earlier invocation: found in the folder, not trained now. */
  reused?: boolean;
  startedAt?: number;
  seconds?: number;
  error?: string;
  /** Where it runs or ran (a worker thread, a queue worker's host and pid). */
  worker?: string;
}

export interface SweepCounts {
  total: number;
  done: number;
  reused: number;
  running: number;
  failed: number;
  pending: number;
}

/**
 * The whole sweep's progress: each cell's state, counts, and an ETA from the finished cells' mean
 * time, spread over the cells running at once. A cell is finished once: a second report of the same
 * cell (a retried job that also completed) is ignored and counted nowhere. Written to `status.json`
 * (atomically, at most once a second, and on every finish) and shown as one status line.
 */
export class SweepStatus {
  private readonly entries = new Map<string, Entry>();
  private readonly started = Date.now();
  private lastWrite = -Infinity;

  constructor(
    cells: readonly Cell[],
    private readonly file: string,
    private readonly progress: Progress | undefined,
    /** Cells run at once when the queue does not say (embedded: the threads). */
    private readonly parallel: number,
  ) {
    for (const cell of cells) this.entries.set(cell.id, { cell, state: "pending" });
  }

  private entry(id: string): Entry {
    const e = this.entries.get(id);
    if (!e) throw new Error(`sweep status: no cell ${id}`);
    return e;
  }

  state(id: string): CellState {
    return this.entry(id).state;
  }

  reuse(id: string): void {
    Object.assign(this.entry(id), { state: "done", reused: true });
  }

  /** A cell began (or, from the queue, was seen running); no effect on a finished one. */
  start(id: string, worker?: string): void {
    const e = this.entry(id);
    if (e.state === "done" || e.state === "running") return;
    Object.assign(e, { state: "running", startedAt: Date.now(), error: undefined, ...(worker ? { worker } : {}) });
    this.show();
  }

  /** A running cell went back to waiting (its worker died; the queue will hand it out again). */
  requeue(id: string): void {
    const e = this.entry(id);
    if (e.state === "running") e.state = "pending";
  }

  /** Marks the cell done; false (and nothing counted) when it already was. */
  finish(id: string, seconds: number): boolean {
    const e = this.entry(id);
    if (e.state === "done") return false;
    Object.assign(e, { state: "done", seconds, error: undefined });
    this.write(true);
    return true;
  }

  fail(id: string, error: string): void {
    const e = this.entry(id);
    if (e.state === "done") return;
    Object.assign(e, { state: "failed", error });
    this.write(true);
  }

  /** "label: error" of each failed cell. */
  failures(): string[] {
    return [...this.entries.values()].filter((e) => e.state === "failed").map((e) => `${e.cell.label}: ${e.error}`);
  }

  counts(): SweepCounts {
    const all = [...this.entries.values()];
    const count = (s: CellState) => all.filter((e) => e.state === s).length;
    return { total: all.length, done: count("done"), reused: all.filter((e) => e.reused).length, running: count("running"), failed: count("failed"), pending: count("pending") };
  }

  /** Seconds left: the mean finished cell's time for each cell left, shared over the cells running at once. */
  eta(): number {
    const timed = [...this.entries.values()].filter((e) => e.state === "done" && !e.reused && e.seconds !== undefined);
    const { pending, running } = this.counts();
    if (pending + running === 0) return 0;
    if (timed.length === 0) return NaN;
    const mean = timed.reduce((s, e) => s + e.seconds!, 0) / timed.length;
    const now = Date.now();
    const runningLeft = [...this.entries.values()].filter((e) => e.state === "running").reduce((s, e) => s + Math.max(0, mean - (now - (e.startedAt ?? now)) / 1000), 0);
    return (runningLeft + pending * mean) / Math.max(1, running, Math.min(this.parallel, pending + running));
  }

  line(): string {
    const c = this.counts();
    return `sweep: ${c.done}/${c.total} done${c.reused ? ` (${c.reused} reused)` : ""}, ${c.running} running, ${c.failed} failed, ETA ${formatDuration(this.eta())}`;
  }

  /** The status line on the terminal (paced by Progress) and the status file (at most once a second). */
  show(): void {
    this.progress?.status(this.line());
    this.write(false);
  }

  write(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastWrite < 1000) return;
    this.lastWrite = now;
    writeJsonAtomic(this.file, {
      ...this.counts(),
      etaSeconds: Number.isFinite(this.eta()) ? Math.round(this.eta()) : null,
      elapsedSeconds: Math.round((now - this.started) / 1000),
      updatedAt: new Date(now).toISOString(),
      cells: [...this.entries.values()].map((e) => ({
        id: e.cell.id,
        label: e.cell.label,
        state: e.state,
        ...(e.reused ? { reused: true } : {}),
        ...(e.seconds !== undefined ? { seconds: Math.round(e.seconds * 10) / 10 } : {}),
        ...(e.worker ? { worker: e.worker } : {}),
        ...(e.error ? { error: e.error } : {}),
      })),
    });
  }
}

import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import type { Mode } from "./mmx-step.js";

/** What the peer says once its models are built (bench/torch_stepper.py's `ready` line). */
export interface TorchReady {
  torch_version: string;
  threads: number;
  interop_threads: number;
  blas: string;
  blas_threads: number | null;
  blas_core: string | null;
  env: Record<string, string>;
  sgemm_gflops: number;
  workload: string;
  batch: number;
}

/** One step as the peer timed it on its side of the pipe. */
export interface TorchStepTime {
  mode: Mode;
  /** perf_counter around the step, reading the loss back included. */
  ms: number;
  /** The peer's process CPU time over the step, every thread. */
  cpu_ms: number;
  /** Wall and process CPU time since its previous reply, while the bench ran its other implementations. */
  idle_ms: number;
  idle_cpu_ms: number;
}

/** A line of the peer's, parsed: anything but these four shapes is a protocol error. */
export type TorchReply =
  | { kind: "ready"; ready: TorchReady }
  | { kind: "skipped"; skipped: string }
  | { kind: "step"; step: TorchStepTime }
  | { kind: "error"; error: string }
  | { kind: "bye"; peakRssMb: number };

const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

export function parseTorchReply(line: string): TorchReply {
  let j: unknown;
  try {
    j = JSON.parse(line);
  } catch {
    throw new Error(`the PyTorch peer printed a line that is not JSON: ${line.slice(0, 160)}`);
  }
  const o = (typeof j === "object" && j !== null ? j : {}) as Record<string, unknown>;
  if (typeof o.skipped === "string") return { kind: "skipped", skipped: o.skipped };
  if (typeof o.error === "string") return { kind: "error", error: o.error };
  if (typeof o.ready === "object" && o.ready !== null && isNumber((o.ready as TorchReady).sgemm_gflops)) return { kind: "ready", ready: o.ready as TorchReady };
  if (typeof o.mode === "string" && isNumber(o.ms) && isNumber(o.cpu_ms) && isNumber(o.idle_ms) && isNumber(o.idle_cpu_ms)) return { kind: "step", step: o as unknown as TorchStepTime };
  if (isNumber(o.peak_rss_mb)) return { kind: "bye", peakRssMb: o.peak_rss_mb };
  throw new Error(`the PyTorch peer printed an unexpected reply: ${line.slice(0, 160)}`);
}

/**
 * A persistent PyTorch peer process (bench/torch_stepper.py, or any program speaking its line protocol),
 * stepped one command at a time so that its steps take turns with mmx's in the same rounds.
 */
export class TorchStepper {
  private readonly lines: AsyncIterator<string>;
  /** The last lines the peer wrote to stderr: they say why it died. */
  private readonly stderrTail: string[] = [];
  /** How the process ended, as a sentence (its exit status or signal, or why it could not start), once it has. */
  private readonly ended: Promise<string>;
  private endedAs?: string;
  private busy = false;

  private constructor(private readonly child: ChildProcessWithoutNullStreams, command: string) {
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    // A command written to a peer that has just died fails with EPIPE: the read that follows reports the death.
    child.stdin.on("error", () => {});
    child.stderr.setEncoding("utf8").on("data", (s: string) => {
      this.stderrTail.push(...s.split("\n").filter(Boolean));
      this.stderrTail.splice(0, this.stderrTail.length - 3);
    });
    this.ended = new Promise<string>((resolve) => {
      child.once("error", (e) => resolve(`${command} failed to start: ${e.message}`));
      child.once("close", (code, signal) => resolve(`the PyTorch peer ${signal ? `was killed by ${signal}` : `exited with ${code}`}`));
    }).then((how) => (this.endedAs = how));
  }

  /** Starts the peer and waits for its `ready` line: the stepper, or why the peer cannot run here. */
  static async start(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ stepper: TorchStepper; ready: TorchReady } | { skipped: string }> {
    const stepper = new TorchStepper(spawn(command, args, { env, stdio: ["pipe", "pipe", "pipe"] }), command);
    let first: TorchReply;
    try {
      first = await stepper.next();
    } catch (e) {
      return { skipped: (e as Error).message };
    }
    if (first.kind === "ready") return { stepper, ready: first.ready };
    stepper.child.kill();
    return { skipped: first.kind === "skipped" ? first.skipped : first.kind === "error" ? `the PyTorch peer failed to start: ${first.error}` : "the PyTorch peer did not start with a ready line" };
  }

  /** Runs one step of `mode` in the peer; rejects with the peer's own error, or how it died. */
  async step(mode: Mode): Promise<TorchStepTime> {
    const reply = await this.ask(`step ${mode}`);
    if (reply.kind === "step" && reply.step.mode === mode) return reply.step;
    throw new Error(reply.kind === "error" ? `PyTorch ${mode}: ${reply.error}` : `PyTorch ${mode}: unexpected reply (${reply.kind})`);
  }

  /** Ends the peer; its peak resident set, when it said. */
  async close(): Promise<{ peakRssMb?: number }> {
    if (this.endedAs !== undefined) return {};
    try {
      const reply = await this.ask("quit");
      return reply.kind === "bye" ? { peakRssMb: reply.peakRssMb } : {};
    } catch {
      return {}; // it died: the steps that failed say so
    } finally {
      this.child.stdin.end();
      await this.ended;
    }
  }

  private async ask(command: string): Promise<TorchReply> {
    if (this.busy) throw new Error("the PyTorch peer answers one command at a time");
    if (this.endedAs !== undefined) throw new Error(`${this.endedAs}${this.why()}`);
    this.busy = true;
    try {
      this.child.stdin.write(`${command}\n`);
      return await this.next();
    } finally {
      this.busy = false;
    }
  }

  private async next(): Promise<TorchReply> {
    const line = await this.lines.next();
    if (line.done) throw new Error(`${await this.ended}${this.why()}`);
    return parseTorchReply(line.value);
  }

  private why(): string {
    return this.stderrTail.length ? `: ${this.stderrTail.join(" / ")}` : "";
  }
}

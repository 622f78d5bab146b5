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
 * How long the bench waits for each of the peer's replies. A peer that stops answering (a deadlock in
 * its BLAS, a swapping machine) would otherwise hold the bench forever: past its limit the peer is
 * killed, and the workload goes on without it.
 */
export interface TorchTimeouts {
  /** For the ready line: the peer imports torch, builds its models and times an sgemm first. */
  readyMs: number;
  /** For a command's first reply (a mode's first step pays its allocations and first kernels), and for `quit`. */
  firstReplyMs: number;
  /** Afterwards: this multiple of the slowest reply to the same command so far, ... */
  slowestMultiple: number;
  /** ... but never less than this (a machine busy with other work slows a step by several times). */
  minReplyMs: number;
}

export const DEFAULT_TORCH_TIMEOUTS: TorchTimeouts = { readyMs: 5 * 60_000, firstReplyMs: 3 * 60_000, slowestMultiple: 20, minReplyMs: 60_000 };

/** How long to wait for the reply to a command whose slowest reply so far took `slowestMs` (undefined: never answered yet). */
export function replyTimeoutMs(t: TorchTimeouts, slowestMs: number | undefined): number {
  return slowestMs === undefined ? t.firstReplyMs : Math.max(t.minReplyMs, t.slowestMultiple * slowestMs);
}

/** The peer gave no reply in time and was killed: every later command fails with this at once. */
export class TorchPeerHung extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TorchPeerHung";
  }
}

const seconds = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s` : `${Math.round(ms)} ms`);

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
  /** Set once the peer missed a reply's time limit (and was killed). */
  private hung?: string;
  /** The slowest reply to each command so far, in ms: the next one's limit is a multiple of it. */
  private readonly slowest = new Map<string, number>();

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    command: string,
    private readonly timeouts: TorchTimeouts,
    /** Whose peer this is, for the messages: "of workload mlp". */
    private readonly whose: string,
  ) {
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

  /**
   * Starts the peer and waits for its `ready` line: the stepper, or why the peer cannot run here.
   * `workload` names the peer in its messages; `timeouts` replaces any of DEFAULT_TORCH_TIMEOUTS.
   */
  static async start(
    command: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
    opts: { workload?: string; timeouts?: Partial<TorchTimeouts> } = {},
  ): Promise<{ stepper: TorchStepper; ready: TorchReady } | { skipped: string }> {
    const whose = opts.workload === undefined ? "" : ` of workload ${opts.workload}`;
    const stepper = new TorchStepper(spawn(command, args, { env, stdio: ["pipe", "pipe", "pipe"] }), command, { ...DEFAULT_TORCH_TIMEOUTS, ...opts.timeouts }, whose);
    let first: TorchReply;
    try {
      first = await stepper.nextWithin(stepper.timeouts.readyMs, "ready line");
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
    if (this.hung !== undefined) {
      await this.ended;
      return {};
    }
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
    if (this.hung !== undefined) throw new TorchPeerHung(this.hung);
    if (this.endedAs !== undefined) throw new Error(`${this.endedAs}${this.why()}`);
    this.busy = true;
    try {
      const t0 = performance.now();
      this.child.stdin.write(`${command}\n`);
      const reply = await this.nextWithin(replyTimeoutMs(this.timeouts, this.slowest.get(command)), `reply to '${command}'`);
      this.slowest.set(command, Math.max(this.slowest.get(command) ?? 0, performance.now() - t0));
      return reply;
    } finally {
      this.busy = false;
    }
  }

  /** The next reply, or, past `ms`, a TorchPeerHung naming what was awaited, the peer killed. */
  private async nextWithin(ms: number, awaited: string): Promise<TorchReply> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.hung = `the PyTorch peer${this.whose} gave no ${awaited} within ${seconds(ms)}; the bench killed it`;
        // SIGKILL: a peer stuck in native code may not act on a gentler signal.
        this.child.kill("SIGKILL");
        reject(new TorchPeerHung(this.hung));
      }, ms);
    });
    try {
      // The losing read settles once the killed peer's stdout closes; the race has handled it.
      return await Promise.race([this.next(), late]);
    } finally {
      clearTimeout(timer);
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

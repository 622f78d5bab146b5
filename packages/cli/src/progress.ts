/** Where progress goes: stderr, or a test's buffer. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressState {
  /** What is running, e.g. "spirals manifold s1". */
  label?: string;
  epoch: number;
  epochs: number;
  /** Steps done in this epoch, of `steps`. */
  step: number;
  steps: number;
  /** Running mean of this epoch's training loss. */
  loss: number;
  examplesPerSecond: number;
  /** Seconds left (of the run or, in the demo, of everything). */
  etaSeconds: number;
  /** The last update of the run: always printed. */
  final?: boolean;
}

/**
 * Where a training loop stands, for its progress: step `step` of `steps` in epoch `epoch` (counted from 0) of
 * `epochs`; the last step of the epoch before `stopEpoch` (where this call stops) is the final update.
 */
export function loopPosition(label: string | undefined, epoch: number, epochs: number, step: number, steps: number, stopEpoch: number): Omit<ProgressState, "loss" | "examplesPerSecond" | "etaSeconds"> {
  return { ...(label ? { label } : {}), epoch: epoch + 1, epochs, step, steps, final: epoch + 1 === stopEpoch && step === steps };
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/** What a training loop reports to: a Progress, or (in the demo's worker threads) a message port. */
export interface ProgressSink {
  update(p: ProgressState): void;
  log(line: string): void;
  done(): void;
}

/**
 * A progress bar on a terminal (redrawn in place, at most 10 times a second) and plain lines
 * elsewhere (CI logs, pipes: one line every `plainEverySeconds`, and the final one), so logs stay
 * readable. `log` prints a line above the bar.
 */
export class Progress implements ProgressSink {
  private lastDraw = -Infinity;
  private lastPlain = -Infinity;
  private drawn = false;
  private readonly tty: boolean;

  constructor(
    private readonly stream: ProgressStream | null,
    private readonly opts: { plainEverySeconds?: number; now?: () => number } = {},
  ) {
    this.tty = Boolean(stream?.isTTY);
  }

  private now(): number {
    return (this.opts.now ?? performance.now.bind(performance))();
  }

  update(p: ProgressState): void {
    this.show((bar) => render(p, bar), Boolean(p.final) || (this.tty && p.step === p.steps));
  }

  /** A free-form status line (the demo's runs in parallel), with the same pacing as `update`. */
  status(text: string, force = false): void {
    this.show(() => text, force);
  }

  private show(text: (bar: boolean) => string, force: boolean): void {
    if (!this.stream) return;
    const t = this.now();
    if (this.tty) {
      if (!force && t - this.lastDraw < 100) return;
      this.lastDraw = t;
      const width = Math.max(40, (this.stream.columns ?? 100) - 1);
      this.stream.write(`\r${fit(text(true), width)}\x1b[K`);
      this.drawn = true;
      return;
    }
    const every = (this.opts.plainEverySeconds ?? 10) * 1000;
    if (!force && t - this.lastPlain < every) return;
    this.lastPlain = t;
    this.stream.write(`${text(false)}\n`);
  }

  log(line: string): void {
    if (!this.stream) return;
    if (this.drawn) this.stream.write("\r\x1b[K");
    this.drawn = false;
    this.stream.write(`${line}\n`);
  }

  done(): void {
    if (this.stream && this.drawn) this.stream.write("\n");
    this.drawn = false;
  }
}

function render(p: ProgressState, bar: boolean): string {
  const label = p.label ? `${p.label}  ` : "";
  const frac = p.steps > 0 ? p.step / p.steps : 0;
  const width = 20;
  const filled = Math.round(frac * width);
  const meter = bar ? `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ` : "";
  const loss = Number.isFinite(p.loss) ? p.loss.toFixed(4) : "--";
  const rate = Number.isFinite(p.examplesPerSecond) ? Math.round(p.examplesPerSecond).toLocaleString("en-US") : "--";
  return `${label}epoch ${p.epoch}/${p.epochs} ${meter}step ${p.step}/${p.steps}  loss ${loss}  ${rate} ex/s  ETA ${formatDuration(p.etaSeconds)}`;
}

function fit(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

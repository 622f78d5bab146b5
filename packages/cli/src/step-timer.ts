/**
 * Seconds per training step for an ETA, from measured steps. A jitted step's first call per program traces and
 * compiles it (seconds, against milliseconds for the steps after), and Manifold Mixup has one program per
 * eligible layer, so a mean over the steps so far is dominated by compiles for a long while (the demo's first
 * ETA read hours). The median of the recent steps is the steady cost; until a few steps are measured there is
 * no estimate (NaN, printed as "--").
 */
export class StepTimer {
  private readonly recent: number[] = [];
  private next = 0;

  constructor(
    private readonly window = 64,
    private readonly minSteps = 3,
  ) {}

  record(seconds: number): void {
    if (this.recent.length < this.window) this.recent.push(seconds);
    else this.recent[this.next] = seconds;
    this.next = (this.next + 1) % this.window;
  }

  /** The median of the last `window` step times; NaN before `minSteps` steps. */
  perStep(): number {
    if (this.recent.length < this.minSteps) return NaN;
    const sorted = [...this.recent].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  }
}

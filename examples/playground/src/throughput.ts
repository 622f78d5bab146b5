/** Training steps per second, per backend: a running count while training, the rate over the last few seconds. */
export class Throughput {
  private readonly samples = new Map<string, { t: number; steps: number }[]>();
  private readonly best = new Map<string, number>();

  /** `steps` model steps finished in `ms` of training time on `backend`. */
  record(backend: string, steps: number, ms: number): void {
    const list = this.samples.get(backend) ?? [];
    list.push({ t: ms, steps });
    while (list.length > 60) list.shift();
    this.samples.set(backend, list);
    const rate = this.rate(backend);
    if (rate !== undefined && list.length >= 10) this.best.set(backend, Math.max(this.best.get(backend) ?? 0, rate));
  }

  /** Steps per second over the recent chunks, or undefined before the first. */
  rate(backend: string): number | undefined {
    const list = this.samples.get(backend);
    if (!list?.length) return undefined;
    const ms = list.reduce((s, x) => s + x.t, 0);
    const steps = list.reduce((s, x) => s + x.steps, 0);
    return ms > 0 ? (1000 * steps) / ms : undefined;
  }

  /** Each backend measured so far, with its current and best rate. */
  table(): { backend: string; rate: number; best: number }[] {
    return [...this.samples.keys()].map((backend) => ({ backend, rate: this.rate(backend) ?? 0, best: this.best.get(backend) ?? this.rate(backend) ?? 0 }));
  }
}

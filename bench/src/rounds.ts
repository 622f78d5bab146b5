import { cpuTimeMs, median } from "./timing.js";

/** A step as measured by an implementation that times itself (the PyTorch peer, on its side of a pipe). */
export interface SelfTimedStep {
  ms: number;
  cpuMs: number;
  /** Wall and CPU time the implementation spent between its previous step and this one, when it says. */
  idleMs?: number;
  idleCpuMs?: number;
}

/** One implementation the rounds step: timed here around `run`, or by itself through `timedRun`. */
export type Steppable = { run(): Promise<unknown> } | { timedRun(): Promise<SelfTimedStep> };

/** One implementation's steps, in round order (step i was taken in round i while it had not failed). */
export interface StepTimes {
  wallMs: number[];
  /** This process's CPU time over a step timed here; the implementation's own for a self-timed one. */
  cpuMs: number[];
  /** Self-timed implementations only: the time between their steps (see SelfTimedStep). */
  idleMs: number[];
  idleCpuMs: number[];
  /**
   * Self-timed implementations only: this process's CPU time while the step ran elsewhere (the command's
   * round trip included): threads of this process that spin after their own work show up here.
   */
  hostCpuMs: number[];
}

/**
 * Warm-up rounds, then `steps` timed rounds, each taking one step of every implementation, the first
 * rotating so that none always runs first or last: a shared machine's changing load falls on all of
 * them alike, and steps of the same round can be compared. An implementation that throws is removed
 * from `impls` and reported to `onFail`; the others go on.
 */
export async function runRounds<N extends string>(impls: Map<N, Steppable>, opts: { steps: number; warmup: number; onFail: (name: N, e: unknown) => void }): Promise<Map<N, StepTimes>> {
  const times = new Map<N, StepTimes>([...impls.keys()].map((n) => [n, { wallMs: [], cpuMs: [], idleMs: [], idleCpuMs: [], hostCpuMs: [] }]));
  const step = async (name: N, impl: Steppable, record: boolean) => {
    try {
      if ("timedRun" in impl) {
        const c0 = cpuTimeMs();
        const t = await impl.timedRun();
        if (!record) return;
        const into = times.get(name)!;
        into.hostCpuMs.push(cpuTimeMs() - c0);
        into.wallMs.push(t.ms);
        into.cpuMs.push(t.cpuMs);
        if (t.idleMs !== undefined && t.idleCpuMs !== undefined) {
          into.idleMs.push(t.idleMs);
          into.idleCpuMs.push(t.idleCpuMs);
        }
        return;
      }
      const [t0, c0] = [performance.now(), cpuTimeMs()];
      await impl.run();
      if (!record) return;
      times.get(name)!.wallMs.push(performance.now() - t0);
      times.get(name)!.cpuMs.push(cpuTimeMs() - c0);
    } catch (e) {
      impls.delete(name);
      opts.onFail(name, e);
    }
  };
  for (let i = 0; i < opts.warmup; i++) {
    // onFail may drop others with the one that failed (a PyTorch peer's three modes): skip what it dropped.
    for (const [name, impl] of [...impls]) if (impls.has(name)) await step(name, impl, false);
  }
  for (let i = 0; i < opts.steps; i++) {
    const order = [...impls];
    const first = i % Math.max(order.length, 1);
    for (const [name, impl] of [...order.slice(first), ...order.slice(0, first)]) {
      if (impls.has(name)) await step(name, impl, true);
    }
  }
  return times;
}

/**
 * The ratios a[i] / b[i] of steps taken in the same round: their median, less moved by a load that
 * changes during the run than the ratio of medians, and their spread. Undefined unless both took
 * every round (a failure mid-run would pair steps of different rounds).
 */
export function perRoundRatio(a: readonly number[] | undefined, b: readonly number[] | undefined): { median: number; min: number; max: number } | undefined {
  if (!a || !b || a.length === 0 || a.length !== b.length) return undefined;
  const r = a.map((x, i) => x / b[i]!);
  return { median: median(r), min: Math.min(...r), max: Math.max(...r) };
}

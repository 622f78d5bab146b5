/** Step timing: warm-up runs, then per-step wall times; medians resist the noise of a shared machine. */
export interface Timing {
  medianMs: number;
  minMs: number;
  maxMs: number;
  steps: number;
}

export async function timeSteps(step: () => void | Promise<void>, { warmup, steps }: { warmup: number; steps: number }): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await step();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await step();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  const median = times.length % 2 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
  return { medianMs: median, minMs: times[0]!, maxMs: times[times.length - 1]!, steps };
}

export const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));

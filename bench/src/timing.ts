import * as tf from "@tensorflow/tfjs";
import { dispose, jit, np, type Array as MxArray } from "@mmx/core";
import { loadavg } from "node:os";

/** Step timing: warm-up runs, then per-step wall times; medians resist the noise of a shared machine. */
export interface Timing {
  medianMs: number;
  minMs: number;
  maxMs: number;
  steps: number;
  /**
   * Median process CPU time per step, where measured: on a loaded machine wall time mostly measures
   * the wait for a core, CPU time far less. It sums over threads, so it stands for the work only
   * where one thread does it (tfjs's wasm and cpu backends), not for onnxruntime's thread pool.
   */
  cpuMedianMs?: number;
}

/** Process CPU time (user + system) so far, ms. */
export function cpuTimeMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** A measured cell, or why it could not be measured (a kernel the backend lacks: never faked). */
export type Cell = { timing: Timing } | { unsupported: string };

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export async function timeSteps(step: () => unknown | Promise<unknown>, { warmup, steps }: { warmup: number; steps: number }): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await step();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await step();
    times.push(performance.now() - t0);
  }
  return { medianMs: median(times), minMs: Math.min(...times), maxMs: Math.max(...times), steps };
}

/** Times a step, turning a failure (a missing kernel) into an `unsupported` cell with its message. */
export async function measure(make: () => { run(): Promise<unknown>; dispose(): void }, opts: { warmup: number; steps: number }): Promise<Cell> {
  let impl: { run(): Promise<unknown>; dispose(): void } | undefined;
  try {
    impl = make();
    return { timing: await timeSteps(() => impl!.run(), opts) };
  } catch (e) {
    return { unsupported: firstLine(e) };
  } finally {
    try {
      impl?.dispose();
    } catch {
      // a failed step may leave the peer half-built; nothing more to free
    }
  }
}

export function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0]!.slice(0, 160);
}

/**
 * An n x n float32 matmul's speed on the current backend, GFLOP/s (best of `reps`), the peak a step can
 * hope for: eager tfjs, or a
 * jitted mmx matmul (onnx runs only jitted programs; eagerly it would measure tfjs's cpu backend).
 */
export async function matmulPeakGflops(n: number, how: "eager" | "jit" = "eager", reps = 5): Promise<number> {
  return (await matmulPeak(n, how, reps)).gflops;
}

/** The peak as above, by wall time and by process CPU time (each the best of `reps`). */
export async function matmulPeak(n: number, how: "eager" | "jit" = "eager", reps = 5): Promise<{ gflops: number; cpuGflops: number }> {
  const flops = 2 * n ** 3;
  const best = async (once: () => Promise<void>) => {
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < reps; i++) {
      const [t0, c0] = [performance.now(), cpuTimeMs()];
      await once();
      wall.push(performance.now() - t0);
      cpu.push(cpuTimeMs() - c0);
    }
    return { gflops: flops / Math.min(...wall) / 1e6, cpuGflops: flops / Math.min(...cpu) / 1e6 };
  };
  if (how === "jit") {
    const a = np.array(Float32Array.from({ length: n * n }, (_, i) => (i % 7) / 7), { shape: [n, n] });
    const b = np.array(Float32Array.from({ length: n * n }, (_, i) => (i % 5) / 5), { shape: [n, n] });
    const mm = jit((x: MxArray, y: MxArray) => np.matmul(x, y));
    const once = async () => {
      const c = mm(a, b);
      await c.data();
      c.dispose();
    };
    await once();
    await once();
    const peak = await best(once);
    dispose([a, b]);
    mm.clearCache();
    return peak;
  }
  const a = tf.randomUniform([n, n]);
  const b = tf.randomUniform([n, n]);
  const once = async () => {
    const c = tf.matMul(a, b);
    await c.data();
    c.dispose();
  };
  await once();
  await once();
  const peak = await best(once);
  tf.dispose([a, b]);
  return peak;
}

export const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));

export const fmtTiming = (t: Timing) => `${fmt(t.medianMs)} (${fmt(t.minMs)}–${fmt(t.maxMs)})`;

/** Peak resident set of this process so far, MiB. */
export const peakRssMb = () => process.resourceUsage().maxRSS / 1024;

export const load = () => loadavg().map((l) => l.toFixed(2)).join(" ");

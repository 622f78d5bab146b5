import { onnxRuntimeOptions, setOnnxRuntimeOptions, type OnnxRuntimeOptions } from "@mmx/onnx";
import { cpus } from "node:os";
import { mmxStep } from "./mmx-step.js";
import { median } from "./timing.js";
import type { Workload } from "./workloads.js";

/** The onnxruntime session settings the bench tunes: threads, idle-thread spinning, the memory arena. */
export type OnnxConfig = Pick<OnnxRuntimeOptions, "intraOpThreads" | "allowSpinning" | "memoryArena">;

export interface OnnxTuning {
  chosen: OnnxConfig;
  /** Each configuration's median manifold-mixup step over the probe's interleaved rounds. */
  probes: (OnnxConfig & { medianMs: number })[];
  rounds: number;
}

export const describeOnnxConfig = (c: OnnxConfig) =>
  `${c.intraOpThreads} thread${c.intraOpThreads === 1 ? "" : "s"}, spinning ${c.allowSpinning ? "on" : "off"}, arena ${c.memoryArena ? "on" : "off"}`;

/**
 * onnxruntime at its best for a workload on this machine: the workload's manifold-mixup mmx step (one
 * program per eligible layer, stepped in turn) is compiled once under every configuration (threads 1 and 2, spinning off/on, arena on/off; sessions keep the
 * options they were made with), the configurations are stepped in interleaved rounds, and the one with
 * the fastest median is chosen. The caller's options are restored; apply `chosen` to use it.
 */
export async function tuneOnnx(w: Workload, opts: { rounds: number; log?: (line: string) => void }): Promise<OnnxTuning> {
  const saved = onnxRuntimeOptions();
  const threads = [...new Set([1, Math.min(2, cpus().length)])];
  const configs: OnnxConfig[] = threads.flatMap((intraOpThreads) =>
    [false, true].flatMap((allowSpinning) => [true, false].map((memoryArena) => ({ intraOpThreads, allowSpinning, memoryArena }))),
  );
  const steps: ReturnType<typeof mmxStep>[] = [];
  try {
    for (const config of configs) {
      setOnnxRuntimeOptions(config);
      // The manifold step alternates between one program per eligible layer, as the timed run alternates between
      // its implementations' programs: idle spinning that wins alone can lose there, so it is probed that way.
      const step = mmxStep(w, "manifold");
      steps.push(step);
      for (const layer of step.layers) await step.runAt(layer); // compiles each session under this configuration
    }
    const times: number[][] = configs.map(() => []);
    for (let round = 0; round < opts.rounds; round++) {
      for (let j = 0; j < configs.length; j++) {
        const i = (j + round) % configs.length;
        const t0 = performance.now();
        await steps[i]!.run();
        times[i]!.push(performance.now() - t0);
      }
    }
    const probes = configs.map((c, i) => ({ ...c, medianMs: median(times[i]!) }));
    for (const p of probes) opts.log?.(`  onnx probe ${w.name} (${describeOnnxConfig(p)}): ${p.medianMs.toFixed(2)} ms`);
    const best = [...probes].sort((a, b) => a.medianMs - b.medianMs)[0]!;
    return { chosen: { intraOpThreads: best.intraOpThreads, allowSpinning: best.allowSpinning, memoryArena: best.memoryArena }, probes, rounds: opts.rounds };
  } finally {
    for (const s of steps) s.dispose();
    setOnnxRuntimeOptions(saved);
  }
}

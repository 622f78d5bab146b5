import { setBackend } from "@mmx/core";
import { setOnnxRuntimeOptions } from "@mmx/onnx";
import { availability, publish, targetAvailability, useTarget } from "./setup.js";
import { TARGETS } from "./targets.js";
import { benchWorkloads, parseSizes, workloadBuilders } from "./workloads.js";

/**
 * The benchmark's page: the training steps of ./workloads.ts on every backend this browser has, or on those of
 * `?targets=a,b`; `?onnxThreads=n` sets onnxruntime-web's wasm threads (0: its default). Each workload's time is
 * logged as it is measured (progress for the harness). With `?interleave=W`, the page instead prepares workload W
 * (its index) on the one target of `?targets=` and waits: the harness times `window.__mmxStep()` (one step, ms)
 * in turn with other pages, so that every backend sees the same machine load.
 */
async function run() {
  const params = new URLSearchParams(location.search);
  const sizes = parseSizes((n) => params.get(n));
  const only = params.get("targets")?.split(",");
  if (params.has("onnxThreads")) setOnnxRuntimeOptions({ threads: Number(params.get("onnxThreads")) });
  const a = await availability();
  if (params.has("interleave")) return prepareInterleaved(a, only?.[0], Number(params.get("interleave")), sizes);
  const rows = [];
  for (const target of TARGETS.filter((t) => !only || only.includes(t.label))) {
    const { available, detail } = targetAvailability(a, target);
    if (!available) {
      rows.push({ target: target.label, skipped: detail });
      continue;
    }
    await useTarget(target);
    try {
      const times = await benchWorkloads(sizes, (t) => console.info(`bench: ${target.label}: ${t.workload}: ${t.ms.toFixed(2)} ms`));
      rows.push({ target: target.label, detail, times });
    } catch (e) {
      rows.push({ target: target.label, detail, error: (e as Error).message });
    }
  }
  await setBackend("cpu");
  return { crossOriginIsolated: globalThis.crossOriginIsolated === true, rows };
}

async function prepareInterleaved(a: Awaited<ReturnType<typeof availability>>, label: string | undefined, index: number, sizes: ReturnType<typeof parseSizes>) {
  const target = TARGETS.find((t) => t.label === label);
  if (!target) throw new Error(`bench page: ?interleave needs ?targets= naming one of ${TARGETS.map((t) => t.label).join(", ")}, got ${label}`);
  const builder = workloadBuilders(sizes)[index];
  if (!builder) throw new Error(`bench page: ?interleave=${index}: no such workload`);
  const { available, detail } = targetAvailability(a, target);
  if (!available) return { crossOriginIsolated: globalThis.crossOriginIsolated === true, workload: builder.name, skipped: detail };
  await useTarget(target);
  const w = await builder.prepare();
  (window as unknown as { __mmxStep: () => Promise<number> }).__mmxStep = () => w.step();
  return { crossOriginIsolated: globalThis.crossOriginIsolated === true, workload: w.name, detail, warmupMs: w.warmupMs, stepsPerCall: w.stepsPerCall };
}

publish(run());

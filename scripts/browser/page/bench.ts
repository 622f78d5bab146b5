import { setBackend } from "@mmx/core";
import { setOnnxRuntimeOptions } from "@mmx/onnx";
import { availability, publish, targetAvailability, useTarget } from "./setup.js";
import { TARGETS } from "./targets.js";
import { benchWorkloads, parseSizes } from "./workloads.js";

/**
 * The benchmark's page: the training steps of ./workloads.ts on every backend this browser has, or on those of
 * `?targets=a,b`; `?onnxThreads=n` sets onnxruntime-web's wasm threads (0: its default). Each workload's time is
 * logged as it is measured (progress for the harness).
 */
async function run() {
  const params = new URLSearchParams(location.search);
  const sizes = parseSizes((n) => params.get(n));
  const only = params.get("targets")?.split(",");
  if (params.has("onnxThreads")) setOnnxRuntimeOptions({ threads: Number(params.get("onnxThreads")) });
  const a = await availability();
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

publish(run());

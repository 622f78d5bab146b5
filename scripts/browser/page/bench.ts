import { setBackend } from "@mmx/core";
import { availability, publish, targetAvailability, useTarget } from "./setup.js";
import { TARGETS } from "./targets.js";
import { benchWorkloads, parseSizes } from "./workloads.js";

/** The benchmark's page: the training steps of ./workloads.ts on every backend this browser has. */
async function run() {
  const params = new URLSearchParams(location.search);
  const sizes = parseSizes((n) => params.get(n));
  const a = await availability();
  const rows = [];
  for (const target of TARGETS) {
    const { available, detail } = targetAvailability(a, target);
    if (!available) {
      rows.push({ target: target.label, skipped: detail });
      continue;
    }
    await useTarget(target);
    try {
      rows.push({ target: target.label, detail, times: await benchWorkloads(sizes) });
    } catch (e) {
      rows.push({ target: target.label, detail, error: (e as Error).message });
    }
  }
  await setBackend("cpu");
  return { crossOriginIsolated: globalThis.crossOriginIsolated === true, rows };
}

publish(run());

import { availableBackends, KNOWN_BACKENDS, type BackendName } from "@mmx/core";

/**
 * Which backends a test run covers. `MMX_BACKENDS=cpu,wasm,webgpu` asks for exactly those, and a
 * requested backend that cannot run here is an error (so CI cannot pass by skipping it); unset, the
 * run covers cpu and wasm, and lists the others as skipped with the reason.
 */
export interface BackendPlan {
  readonly run: readonly BackendName[];
  readonly skipped: readonly { name: BackendName; reason: string }[];
}

export class RequestedBackendUnavailableError extends Error {}

export async function planBackends(requested = process.env.MMX_BACKENDS): Promise<BackendPlan> {
  const infos = await availableBackends();
  const wanted = requested
    ? requested
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : null;
  for (const name of wanted ?? []) {
    if (!KNOWN_BACKENDS.includes(name as BackendName)) throw new RequestedBackendUnavailableError(`MMX_BACKENDS names an unknown backend '${name}'; known: ${KNOWN_BACKENDS.join(", ")}`);
  }
  const run: BackendName[] = [];
  const skipped: { name: BackendName; reason: string }[] = [];
  for (const info of infos) {
    const asked = wanted ? wanted.includes(info.name) : info.name === "cpu" || info.name === "wasm";
    if (!asked) {
      const why = info.available ? `available (${info.detail}) but not requested` : `unavailable: ${info.detail}`;
      skipped.push({ name: info.name, reason: `${why}; MMX_BACKENDS=${info.name} asks for it` });
      continue;
    }
    if (!info.available) {
      if (wanted) throw new RequestedBackendUnavailableError(`MMX_BACKENDS asks for '${info.name}', which cannot run here: ${info.detail}`);
      skipped.push({ name: info.name, reason: info.detail });
      continue;
    }
    run.push(info.name);
  }
  return { run, skipped };
}

export function describePlan(plan: BackendPlan): string {
  const lines = [`backends under test: ${plan.run.join(", ") || "none"}`];
  for (const s of plan.skipped) lines.push(`  skipped ${s.name}: ${s.reason}`);
  return lines.join("\n");
}

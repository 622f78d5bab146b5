import { availableBackends, knownBackends, type BackendName } from "../backend.js";
import { envVar, envVars } from "../env.js";

/**
 * Which backends a test run covers. `MMX_BACKENDS=cpu,wasm,webgpu` asks for exactly those, and a requested backend
 * that cannot run here is an error (so CI cannot pass by skipping it); unset, the run covers cpu and wasm and lists
 * the others as skipped, with the reason. Lives in core so that core's own tests can use it (@mmx/testing
 * re-exports it).
 */
export interface BackendPlan {
  readonly run: readonly BackendName[];
  readonly skipped: readonly { name: BackendName; reason: string }[];
  /** What was asked for: the MMX_BACKENDS list, or null for the default (cpu, wasm). */
  readonly requested: readonly string[] | null;
}

export class RequestedBackendUnavailableError extends Error {
  override readonly name = "RequestedBackendUnavailableError";
}

export const DEFAULT_TEST_BACKENDS: readonly BackendName[] = ["cpu", "wasm"];

/** Parses an MMX_BACKENDS value (comma or space separated); null when unset or empty. */
export function parseBackendList(value: string | undefined): string[] | null {
  const names = (value ?? "")
    .split(/[\s,]+/)
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  return names.length > 0 ? [...new Set(names)] : null;
}

/**
 * Backends that only execute jitted programs: a suite of eager operations would test tfjs's cpu
 * backend under their name. Pass as `exclude` from such suites.
 */
export const EXECUTOR_ONLY_BACKENDS: Readonly<Partial<Record<BackendName, string>>> = {
  onnx: "runs jitted programs only (eager operations run on tfjs's cpu backend); packages/onnx's suites test it",
};

export interface PlanOptions {
  /**
   * Backends a suite does not test, with the reason (say, onnx for eager suites: it runs only jitted
   * programs, and its own suites cover it). They are listed as skipped, requested or not, whether or
   * not they could run here.
   */
  readonly exclude?: Readonly<Partial<Record<BackendName, string>>>;
}

export async function planBackends(requested: string | undefined = envVar("MMX_BACKENDS"), opts: PlanOptions = {}): Promise<BackendPlan> {
  const wanted = parseBackendList(requested);
  const excluded = opts.exclude ?? {};
  // A suite's excluded backends count as known: their packages need not be imported where they are excluded.
  const known = [...new Set([...knownBackends(), ...Object.keys(excluded)])];
  for (const name of wanted ?? []) {
    if (!known.includes(name)) {
      throw new RequestedBackendUnavailableError(`MMX_BACKENDS names an unknown backend '${name}'; known: ${known.join(", ")}`);
    }
  }
  const infos = (await availableBackends()).filter((info) => excluded[info.name] === undefined);
  const run: BackendName[] = [];
  const skipped: { name: BackendName; reason: string }[] = known.filter((name) => excluded[name] !== undefined).map((name) => ({ name, reason: excluded[name]! }));
  const unavailable: string[] = [];
  for (const info of infos) {
    const asked = wanted ? wanted.includes(info.name) : DEFAULT_TEST_BACKENDS.includes(info.name);
    if (!asked) {
      const why = info.available ? `available (${info.detail}) but not requested` : `unavailable: ${info.detail}`;
      skipped.push({ name: info.name, reason: `${why}; add it to MMX_BACKENDS to test it` });
    } else if (info.available) {
      run.push(info.name);
    } else if (wanted) {
      unavailable.push(`'${info.name}': ${info.detail}`);
    } else {
      skipped.push({ name: info.name, reason: info.detail });
    }
  }
  if (unavailable.length > 0) {
    throw new RequestedBackendUnavailableError(`MMX_BACKENDS=${wanted!.join(",")} asks for backends that cannot run here: ${unavailable.join("; ")}`);
  }
  // Keep the order the user asked for (the first one is the reference where backends are compared).
  if (wanted) run.sort((a, b) => wanted.indexOf(a) - wanted.indexOf(b));
  return { run, skipped, requested: wanted };
}

export function describePlan(plan: BackendPlan): string {
  const asked = plan.requested ? `MMX_BACKENDS=${plan.requested.join(",")}` : `MMX_BACKENDS unset: ${DEFAULT_TEST_BACKENDS.join(",")}`;
  const lines = [`backends under test (${asked}): ${plan.run.join(", ") || "none"}`];
  for (const s of plan.skipped) lines.push(`  skipped ${s.name}: ${s.reason}`);
  return lines.join("\n");
}

/** Property runs are divided by this on backends where each run costs much more (webgpu: shader dispatch, lavapipe). */
const SLOW_BACKENDS: Readonly<Record<string, number>> = { webgpu: 2 };

/**
 * fast-check's numRuns for a property suite on `backend`: MMX_PROPERTY_RUNS_<BACKEND> when set, else
 * MMX_PROPERTY_RUNS (or `base`), divided on slow backends (webgpu: by 2, at least 2 runs).
 */
export function propertyRuns(backend: string, base: number, env: Readonly<Record<string, string | undefined>> = envVars()): number {
  const explicit = Number(env[`MMX_PROPERTY_RUNS_${backend.toUpperCase()}`]);
  if (Number.isInteger(explicit) && explicit > 0) return explicit;
  const all = Number(env["MMX_PROPERTY_RUNS"]);
  const runs = Number.isInteger(all) && all > 0 ? all : base;
  const slowdown = SLOW_BACKENDS[backend] ?? 1;
  return slowdown === 1 ? runs : Math.max(2, Math.ceil(runs / slowdown));
}

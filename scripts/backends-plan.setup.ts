import { writeFileSync } from "node:fs";
// The sources, as the suites use them (global setup does not get vitest's @mmx/source condition): no build needed.
import { describePlan, EXECUTOR_ONLY_BACKENDS, parseBackendList, planBackends, type BackendName } from "../packages/core/src/index.js";

/**
 * Global setup of the cross-backend matrix: prints the backend plan and fails the run when MMX_BACKENDS asks for a
 * backend that cannot run here. A backend that runs jitted programs only (onnx) is not probed here (its package
 * would need a build to load in this process): its own suites check that it can run, and fail the run if not.
 * The plan (or the error) is written to MMX_PLAN_FILE for the summary that scripts/test-backends.mjs prints.
 */
export default async function setup(): Promise<void> {
  const out = process.env["MMX_PLAN_FILE"];
  try {
    const requested = parseBackendList(process.env["MMX_BACKENDS"]) ?? [];
    const executorOnly = requested.filter((name) => EXECUTOR_ONLY_BACKENDS[name as BackendName] !== undefined) as BackendName[];
    const eager = await planBackends(undefined, { exclude: EXECUTOR_ONLY_BACKENDS });
    const plan = { ...eager, run: [...eager.run, ...executorOnly], skipped: eager.skipped.filter((s) => !executorOnly.includes(s.name)) };
    const notes = executorOnly.map((name) => `  ${name}: ${EXECUTOR_ONLY_BACKENDS[name]}`);
    console.log(`\n${[describePlan(plan), ...notes].join("\n")}\n`);
    if (out) writeFileSync(out, JSON.stringify(plan));
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (out) writeFileSync(out, JSON.stringify({ error: message }));
    throw e;
  }
}

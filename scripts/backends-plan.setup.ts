import { writeFileSync } from "node:fs";
// The sources, as the suites use them (global setup does not get vitest's @mmx/source condition): no build needed.
import { describePlan, planBackends } from "../packages/core/src/index.js";

/**
 * Global setup of the cross-backend matrix: prints the backend plan and fails the run when MMX_BACKENDS asks for a
 * backend that cannot run here. The plan (or the error) is written to MMX_PLAN_FILE for the summary that
 * scripts/test-backends.mjs prints at the end.
 */
export default async function setup(): Promise<void> {
  const out = process.env["MMX_PLAN_FILE"];
  try {
    const plan = await planBackends();
    console.log(`\n${describePlan(plan)}\n`);
    if (out) writeFileSync(out, JSON.stringify(plan));
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (out) writeFileSync(out, JSON.stringify({ error: message }));
    throw e;
  }
}

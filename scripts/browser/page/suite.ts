import { setBackend, takeWebgpuErrors } from "@mmx/core";
import { comparePrimitives, mixupInvariants, primitiveValues, scanMatchesSteps, trainsMlp, type CheckResult } from "./checks.js";
import { availability, publish, targetAvailability, useTarget } from "./setup.js";
import { TARGETS } from "./targets.js";

/**
 * The browser suite's page: on every backend this browser has, trains an MLP with manifold mixup (step by step and as
 * one step.scan program), checks a subset of
 * the primitives and VJPs against tfjs's cpu backend, and checks the mixup invariants. `?steps=N&runs=R` size it.
 */
async function run() {
  const params = new URLSearchParams(location.search);
  const steps = Number(params.get("steps") ?? 30);
  const runs = Number(params.get("runs") ?? 3);
  const only = params.get("targets")?.split(",");
  await setBackend("cpu");
  const reference = await primitiveValues();
  const a = await availability();
  const reports = [];
  for (const target of TARGETS.filter((t) => !only || only.includes(t.label))) {
    const { available, detail } = targetAvailability(a, target);
    if (!available) {
      reports.push({ target: target.label, skipped: detail });
      continue;
    }
    await useTarget(target);
    const checks: CheckResult[] = [];
    const guard = async (name: string, f: () => Promise<CheckResult | CheckResult[]>) => {
      // Progress for MMX_BROWSER_LOG=1: a check that hangs is named by the last line.
      console.info(`suite: ${target.label}: ${name}`);
      try {
        const r = await f();
        checks.push(...(Array.isArray(r) ? r : [r]));
      } catch (e) {
        checks.push({ name, ok: false, detail: `threw: ${(e as Error).message}` });
      }
    };
    await guard("MLP training", async () => {
      const { losses: _losses, ...r } = await trainsMlp(steps);
      return r;
    });
    await guard("step.scan", () => scanMatchesSteps());
    await guard("primitives", async () => comparePrimitives(await primitiveValues(), reference));
    await guard("mixup invariants", () => mixupInvariants(runs));
    const errors = takeWebgpuErrors();
    if (errors.length > 0) checks.push({ name: "no WebGPU errors", ok: false, detail: errors[0]! });
    reports.push({ target: target.label, detail, checks });
  }
  await setBackend("cpu");
  return { crossOriginIsolated: globalThis.crossOriginIsolated === true, userAgent: navigator.userAgent, backends: a.backends, onnxProviders: a.onnxProviders, reports };
}

publish(run());

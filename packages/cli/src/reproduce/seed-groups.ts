import { join } from "node:path";
import { dispose } from "@mmx/core";
import { setRunThreads, useBackend } from "../backends.js";
import { loadData } from "../datasets.js";
import { formatDuration } from "../progress.js";
import { UsageError } from "../errors.js";
import { trainSeedRuns, vmapSeedsMisfit } from "../train-seeds.js";
import { planKey } from "./method-plans.js";
import { dataConfig, describeOutcome, jobLabel, loadedData, measure, runConfig, type Job, type ReproduceOptions, type RunOutcome } from "./pipeline.js";
import type { Preset } from "./presets.js";

/** Refuses, before anything trains, a method whose seeds cannot train as one program (see `vmapSeedsMisfit`). */
export function checkVmapSeeds(preset: Preset): void {
  const perCall = preset.methods.find((m) => (m.options?.stepsPerCall ?? 1) > 1)?.options?.stepsPerCall;
  if (perCall !== undefined) throw new UsageError(`mmx reproduce: --vmap-seeds runs its seeds' steps one vmapped step per call; --steps-per-call ${perCall} does not apply with it (drop one of the two)`);
  for (const plan of preset.plans) {
    for (const method of preset.methods) {
      const misfit = vmapSeedsMisfit(runConfig(plan, method, 0, "cpu"));
      if (misfit) throw new UsageError(`mmx reproduce: --vmap-seeds cannot train --methods ${method.method}: ${misfit}; drop --vmap-seeds to train its seeds one run at a time`);
    }
  }
}

/**
 * `mmx reproduce --vmap-seeds`: the seeds of each (dataset, method) train together as one vmapped program
 * (`trainSeedRuns`), then each run is measured as usual, into the same run folders and outcomes. The groups
 * run one after another in this thread. What differs from separate runs: every seed mixes at the layer its
 * group's first seed draws (input mixup and no mixup are unaffected).
 */
export async function runSeedGroups(jobs: readonly Job[], opts: ReproduceOptions): Promise<RunOutcome[]> {
  const { progress } = opts;
  if ((opts.jobs ?? 1) > 1) progress?.log(`--vmap-seeds: each (dataset, method) trains its seeds as one program, one group at a time in this thread (--jobs ${opts.jobs} is not used)`);
  if (opts.threads !== undefined) await setRunThreads(opts.backend, opts.threads);
  await useBackend(opts.backend);
  const groups = new Map<string, Job[]>();
  for (const j of jobs) {
    const k = `${j.plan.dataset}/${planKey(j.method)}`;
    groups.set(k, [...(groups.get(k) ?? []), j]);
  }
  const outcomes: RunOutcome[] = new globalThis.Array(jobs.length);
  const started = performance.now();
  for (const group of groups.values()) {
    const { plan, method } = group[0]!;
    let data = loadedData.get(plan.dataset);
    if (!data) {
      data = await loadData(dataConfig(plan), (l) => progress?.log(l));
      loadedData.set(plan.dataset, data);
    }
    const dirs = group.map((j) => join(opts.out, `${plan.dataset}-${planKey(method)}-s${j.seed}`));
    const label = `[${group[0]!.index + 1}-${group[group.length - 1]!.index + 1}/${jobs.length}] ${plan.dataset} ${method.method} s${group.map((j) => j.seed).join(",")}`;
    const groupStarted = performance.now();
    const results = await trainSeedRuns(
      group.map((j) => runConfig(plan, method, j.seed, opts.backend)),
      { outs: dirs, data, label, ...(progress ? { progress } : {}), ...(plan.evalEvery ? { evalEvery: plan.evalEvery } : {}) },
    );
    try {
      for (const [i, j] of group.entries()) {
        const outcome = await measure(results[i]!, plan, method, dirs[i]!, j.seed, opts.preset.grid, j.pictured);
        outcomes[j.index] = outcome;
        progress?.log(`${jobLabel(j, jobs.length)}: ${describeOutcome(outcome)}`);
      }
    } finally {
      dispose(results.flatMap((r) => [r.params, r.modelState]));
    }
    progress?.log(`${label}: trained together in ${formatDuration((performance.now() - groupStarted) / 1000)}; ${formatDuration((performance.now() - started) / 1000)} so far`);
  }
  return outcomes;
}

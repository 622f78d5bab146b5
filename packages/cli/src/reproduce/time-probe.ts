import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dispose } from "@mmx/core";
import { attackAccuracy } from "../analysis.js";
import { loadData } from "../datasets.js";
import { evaluate } from "../evaluate.js";
import { train } from "../train.js";
import { dataConfig, runConfig } from "./pipeline.js";
import type { DatasetPlan, Preset } from "./presets.js";
import type { CostModel } from "./time-model.js";

/** CPU-seconds of this process so far (every thread: onnxruntime's intra-op threads too). */
export const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Batches per probe epoch, and test examples the probe evaluates and attacks: a few seconds of CPU in all. */
const PROBE_BATCHES = 5;
const PROBE_TEST = 1000;

/**
 * Measures what a run of `plan` costs here, on the backend already chosen (and with the intra-op
 * threads already set), by training it for two short epochs on a few batches into a temporary folder:
 * the second epoch's steps give the cost of a step, the first epoch's excess the compilation; then it
 * evaluates and attacks a slice of the test set, twice each, timing the second (compiled) pass.
 * Only the measurements are kept. The step timed is the last compared method's (manifold mixup in the
 * paper's order).
 */
export async function probeCosts(plan: DatasetPlan, methods: Preset["methods"], backend: string): Promise<CostModel> {
  const probePlan: DatasetPlan = { ...plan, trainSize: Math.min(plan.trainSize, PROBE_BATCHES * plan.batch), testSize: Math.min(plan.testSize, PROBE_TEST), epochs: 2 };
  const data = await loadData(dataConfig(probePlan));
  const steps = Math.floor(probePlan.trainSize / plan.batch);
  const out = mkdtempSync(join(tmpdir(), "mmx-time-probe-"));
  const marks: number[] = [];
  const started = cpuSeconds();
  try {
    const result = await train(runConfig(probePlan, methods[methods.length - 1]!, 0, backend), {
      out,
      overwrite: true,
      data,
      evalEvery: probePlan.epochs + 1,
      onStep: ({ step }) => {
        if (step % steps === 0) marks.push(cpuSeconds());
      },
    });
    try {
      const stepSeconds = (marks[1]! - marks[0]!) / steps;
      const compileSeconds = Math.max(0, marks[0]! - started - steps * stepSeconds);
      const timed = (f: () => unknown) => {
        f();
        const t0 = cpuSeconds();
        f();
        return cpuSeconds() - t0;
      };
      const count = data.testCount;
      const forward = timed(() => evaluate(result.model, result.params, result.modelState, data.test, result.input));
      const trained = { model: result.model, params: result.params, modelState: result.modelState, input: result.input };
      await attackAccuracy(trained, data.test, { kind: "fgsm", eps: plan.fgsmEps, clip: data.clip });
      const a0 = cpuSeconds();
      await attackAccuracy(trained, data.test, { kind: "fgsm", eps: plan.fgsmEps, clip: data.clip });
      const attack = cpuSeconds() - a0;
      return { stepSeconds, compileSeconds, forwardSecondsPerExample: forward / count, attackSecondsPerExample: attack / count };
    } finally {
      dispose([result.params, result.modelState]);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

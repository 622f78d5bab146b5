import { describe, expect, it } from "vitest";
import { stepCosts } from "./step-costs.js";
import { runSeconds, type RunWork } from "./time-model.js";

/**
 * A probe's CPU clock, made up: `first` is the first step (compilation), `cold(e, s)` a step's cost in
 * epoch e beyond the warm `step`, and every epoch after the first opens with `epochEnd` (the writes of
 * the epoch before it).
 */
function clock(p: { start: number; epochs: number; steps: number; step: number; first: number; epochEnd: number; cold: (e: number, s: number) => number }): number[] {
  const readings: number[] = [];
  let t = p.start;
  for (let e = 0; e < p.epochs; e++) {
    for (let s = 0; s < p.steps; s++) {
      t += e === 0 && s === 0 ? p.first : p.step + p.cold(e, s) + (e > 0 && s === 0 ? p.epochEnd : 0);
      readings.push(t);
    }
  }
  return readings;
}

describe("the probe's training costs", () => {
  // Cold steps cost many times a warm one for the first epochs: the case the timed window leaves out.
  const cold = (e: number) => (e < 6 ? 0.03 / (e + 1) : 0);
  const afterStep = clock({ start: 100, epochs: 10, steps: 5, step: 0.002, first: 1.5, epochEnd: 0.012, cold });

  it("reads the warm step and an epoch's end from the last epochs, and the compilation from the first", () => {
    const c = stepCosts({ start: 100, afterStep, steps: 5, epochs: 10, timed: 4 });
    expect(c.stepSeconds).toBeCloseTo(0.002, 12);
    expect(c.epochSeconds).toBeCloseTo(0.012, 12);
    // The first epoch: the compiling step, then 4 cold steps of 0.032, less 5 warm steps.
    expect(c.compileSeconds).toBeCloseTo(1.5 + 4 * 0.032 - 5 * 0.002, 12);
  });

  it("predicts a run from them: a warm cost per step and per epoch, compilation once", () => {
    const c = stepCosts({ start: 100, afterStep, steps: 5, epochs: 10, timed: 4 });
    // The spirals of the demo: 2,000 points in batches of 100 for 100 epochs, 2,000 test points; forward, attack
    // and spectra costs made up too.
    const work: RunWork = { trainSize: 2000, batch: 100, epochs: 100, testSize: 2000, extraTestPasses: 2, heldOut: 2000, attacked: 2000, spectrumClasses: 2 };
    const total = runSeconds(work, { ...c, forwardSecondsPerExample: 4e-6, attackSecondsPerExample: 3e-5, spectrumSecondsPerClass: 0.001 });
    const compile = 1.5 + 4 * 0.032 - 5 * 0.002;
    expect(total).toBeCloseTo(compile + 2000 * 0.002 + 100 * 0.012 + (102 * 2000 + 2000) * 4e-6 + 2000 * 3e-5 + 2 * 0.001, 9);
    // What the probe used to read (the second epoch's steps over its epoch end, all of it cold) predicts
    // several times as much training.
    const secondEpoch = (afterStep[9]! - afterStep[4]!) / 5;
    expect(secondEpoch / c.stepSeconds).toBeGreaterThan(3);
  });

  it("with one step an epoch, the step carries the epoch's end", () => {
    const one = clock({ start: 0, epochs: 3, steps: 1, step: 0.01, first: 2, epochEnd: 0.005, cold: () => 0 });
    const c = stepCosts({ start: 0, afterStep: one, steps: 1, epochs: 3, timed: 2 });
    expect(c.stepSeconds).toBeCloseTo(0.015, 12);
    expect(c.epochSeconds).toBe(0);
    expect(c.compileSeconds).toBeCloseTo(2 - 0.015, 12);
  });

  it("refuses readings that do not match the epochs and steps, and a window with no untimed epoch", () => {
    expect(() => stepCosts({ start: 0, afterStep: [1, 2, 3], steps: 2, epochs: 2, timed: 1 })).toThrow(/3 clock readings for 2 epochs of 2 steps/);
    expect(() => stepCosts({ start: 0, afterStep: [1, 2, 3, 4], steps: 2, epochs: 2, timed: 2 })).toThrow(/untimed first epoch/);
  });
});

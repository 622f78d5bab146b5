import { Array, jit, np, tidy } from "@mmx/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { constant, cosine, epochsToSteps, isSchedule, piecewiseConstant, sgd, warmup, type Schedule } from "./index.js";
import { expectClose } from "./testing-only/close.js";
import { sgdReference } from "./testing-only/reference.js";
import { step as optimizerStep } from "./testing-only/step.js";

/** The schedule's in-program value at a step, computed eagerly and under jit (the two must agree). */
function programValues(s: Schedule, steps: number[]): { eager: number[]; jitted: number[]; cacheSize: number } {
  return tidy(() => {
    const f = jit((count: Array) => s(count));
    const eager = steps.map((t) => s(t).item());
    const jitted = steps.map((t) => (f(np.array(t, { dtype: "int32" })) as Array).item());
    return { eager, jitted, cacheSize: f.cacheSize };
  });
}

/** float32 rounding of a value computed in double, plus the error of float32 arithmetic on it. */
const f32Close = (got: number[], want: number[], what: string) => expectClose(got, want, { rtol: 2e-6, atol: 1e-9, what });

function checkAgainstHost(s: Schedule, steps: number[]) {
  const host = steps.map((t) => s.valueAt(t));
  const { eager, jitted, cacheSize } = programValues(s, steps);
  f32Close(eager, host, `${s.description} in the program`);
  expect(jitted).toEqual(eager);
  expect(cacheSize).toBe(1);
  return host;
}

describe("schedules", () => {
  it("constant", () => {
    const s = constant(0.05);
    expect(isSchedule(s)).toBe(true);
    expect(checkAgainstHost(s, [0, 1, 1000])).toEqual([0.05, 0.05, 0.05]);
  });

  it("piecewiseConstant: ×factor at each milestone, at and around it", () => {
    const s = piecewiseConstant({ base: 0.1, milestones: [100, 150] });
    const steps = [0, 1, 99, 100, 101, 149, 150, 151, 10_000];
    const host = checkAgainstHost(s, steps);
    // Exactly PyTorch MultiStepLR's values: it multiplies by gamma in double at each milestone.
    expect(host).toEqual([0.1, 0.1, 0.1, 0.1 * 0.1, 0.1 * 0.1, 0.1 * 0.1, 0.1 * 0.1 * 0.1, 0.1 * 0.1 * 0.1, 0.1 * 0.1 * 0.1]);
    expect(piecewiseConstant({ base: 1, milestones: [3], factor: 0.5 }).valueAt(3)).toBe(0.5);
    expect(checkAgainstHost(piecewiseConstant({ base: 0.2, milestones: [] }), [0, 5])).toEqual([0.2, 0.2]);
  });

  it("epochsToSteps: a milestone at epoch e is the first step of epoch e", () => {
    expect(epochsToSteps([100, 150], 391)).toEqual([39_100, 58_650]);
    const s = piecewiseConstant({ base: 0.1, milestones: epochsToSteps([2], 10) });
    expect([19, 20].map((t) => s.valueAt(t))).toEqual([0.1, 0.1 * 0.1]);
    expect(() => epochsToSteps([1.5], 10)).toThrow(/epochs must be non-negative integers, got 1.5/);
    expect(() => epochsToSteps([1], 0)).toThrow(/stepsPerEpoch must be a positive integer/);
  });

  it("cosine: base at 0, the midpoint at steps/2, final at steps and after", () => {
    const s = cosine({ base: 0.1, steps: 1000, final: 0.001 });
    const host = checkAgainstHost(s, [0, 1, 250, 500, 750, 999, 1000, 1001, 5000]);
    expect(host[0]).toBe(0.1);
    expectClose(host[3]!, (0.1 + 0.001) / 2, { rtol: 1e-12 });
    expectClose(host[2]!, 0.001 + 0.099 * (1 + Math.SQRT1_2) / 2, { rtol: 1e-12 });
    expect(host.slice(6)).toEqual([0.001, 0.001, 0.001]);
    // The program's endpoints are exact too (not 1 + cos(π) in float32).
    const { eager } = programValues(s, [0, 1000]);
    expect(eager).toEqual([Math.fround(0.1), Math.fround(0.001)]);
    expect(cosine({ base: 1, steps: 4 }).valueAt(4)).toBe(0);
  });

  it("warmup: a linear ramp from init, then the inner schedule from its own step 0", () => {
    const inner = cosine({ base: 0.4, steps: 100 });
    const s = warmup({ steps: 10, schedule: inner });
    const host = checkAgainstHost(s, [0, 1, 5, 9, 10, 11, 60, 110, 200]);
    expectClose(host.slice(0, 4), [0, 0.04, 0.2, 0.36], { rtol: 1e-12 });
    expect(host.slice(4)).toEqual([10, 11, 60, 110, 200].map((t) => inner.valueAt(t - 10)));
    const fromInit = warmup({ steps: 4, schedule: 1, init: 0.2 });
    expectClose(checkAgainstHost(fromInit, [0, 1, 2, 3, 4, 9]), [0.2, 0.4, 0.6, 0.8, 1, 1], { rtol: 1e-12 });
    // Warmup into a step schedule: the milestones count from the end of the warmup.
    const steps = warmup({ steps: 5, schedule: piecewiseConstant({ base: 0.1, milestones: [10] }) });
    expect([14, 15].map((t) => steps.valueAt(t))).toEqual([0.1, 0.1 * 0.1]);
    checkAgainstHost(steps, [0, 4, 5, 14, 15]);
  });

  it("the in-program value follows valueAt at every step (property)", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record({ base: fc.double({ min: 1e-4, max: 1, noNaN: true }), steps: fc.integer({ min: 1, max: 500 }), final: fc.double({ min: 0, max: 1e-4, noNaN: true }) }).map((o) => cosine(o)),
          fc
            .uniqueArray(fc.integer({ min: 1, max: 500 }), { maxLength: 4 })
            .chain((ms) => fc.record({ base: fc.double({ min: 1e-4, max: 1, noNaN: true }), milestones: fc.constant([...ms].sort((a, b) => a - b)), factor: fc.double({ min: 0.05, max: 0.9, noNaN: true }) }))
            .map((o) => piecewiseConstant(o)),
          fc.record({ steps: fc.integer({ min: 1, max: 100 }), base: fc.double({ min: 1e-4, max: 1, noNaN: true }) }).map((o) => warmup({ steps: o.steps, schedule: cosine({ base: o.base, steps: 200 }) })),
        ),
        fc.array(fc.integer({ min: 0, max: 700 }), { minLength: 1, maxLength: 6 }),
        (s, steps) => {
          const host = steps.map((t) => s.valueAt(t));
          const eager = tidy(() => steps.map((t) => s(t).item()));
          f32Close(eager, host, s.description);
        },
      ),
      { numRuns: 30 },
    );
  });

  it("errors", () => {
    expect(() => constant(0)).toThrow(/constant: lr must be a finite number > 0, got 0/);
    expect(() => piecewiseConstant({ base: 0.1, milestones: [100, 50] })).toThrow(/milestones must be strictly increasing positive integers \(steps\), got \[100, 50\] \(entry 1\)/);
    expect(() => piecewiseConstant({ base: 0.1, milestones: [0.5] })).toThrow(/entry 0/);
    expect(() => piecewiseConstant({ base: NaN, milestones: [] })).toThrow(/base must be a finite number > 0, got NaN/);
    expect(() => cosine({ base: 0.1, steps: 0 })).toThrow(/cosine: steps must be a positive integer number of steps, got 0/);
    expect(() => cosine({ base: 0.1, steps: 10, final: -1 })).toThrow(/final must be a finite number >= 0/);
    expect(() => warmup({ steps: 5, schedule: "cosine" as never })).toThrow(/warmup: schedule must be a Schedule/);
    expect(() => constant(0.1)(np.array(1.5))).toThrow(/the step count must be an int32 scalar Array, got float32 \[\]/);
    expect(() => constant(0.1)(-1)).toThrow(/non-negative integer, got -1/);
    expect(() => cosine({ base: 0.1, steps: 10 }).valueAt(2.5)).toThrow(/valueAt: step must be a non-negative integer, got 2.5/);
  });
});

describe("an optimizer with a schedule", () => {
  it("sgd with piecewiseConstant under jit: the right rate at every step, one trace", () => {
    const schedule = piecewiseConstant({ base: 0.5, milestones: [2, 4] });
    const opt = sgd({ lr: schedule, momentum: 0.9 });
    const step = jit((grads: { w: Array }, state: ReturnType<typeof opt.init>, params: { w: Array }) => optimizerStep(opt, grads, state, params));
    const init = [1, -2, 0.5];
    const grads = [[0.1, 0.2, -0.3], [1, -1, 0.5], [0.3, 0.3, 0.3], [-0.2, 0.1, 0], [2, 0, -2], [0.5, 0.5, 0.5]];
    const want = sgdReference(init, grads, { lr: (t) => schedule.valueAt(t), momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 });
    tidy(() => {
      let params = { w: np.array(init) };
      let state = opt.init(params);
      grads.forEach((g, t) => {
        expect(opt.schedule.valueAt(state[2].count.item())).toBe(schedule.valueAt(t));
        ({ params, state } = step({ w: np.array(g) }, state, params));
        expectClose(params.w.dataSync(), want[t]!, { rtol: 1e-6, atol: 1e-7, what: `step ${t + 1}` });
      });
      expect(step.cacheSize).toBe(1);
    });
  });
});

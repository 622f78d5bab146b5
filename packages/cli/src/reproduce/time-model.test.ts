import { describe, expect, it } from "vitest";
import { evaluationsOf, makespan, predictionLine, runningTimeLine, runSeconds, type CostModel } from "./time-model.js";

const cost: CostModel = { stepSeconds: 0.1, epochSeconds: 0.01, forwardSecondsPerExample: 0.0002, attackSecondsPerExample: 0.001, spectrumSecondsPerClass: 0.5, compileSeconds: 2 };

describe("the running-time prediction", () => {
  it("counts a run's test evaluations: every evalEvery epochs and after the last", () => {
    expect(evaluationsOf(45, 15)).toBe(3);
    expect(evaluationsOf(60, 5)).toBe(12);
    expect(evaluationsOf(46, 15)).toBe(4);
    expect(evaluationsOf(10)).toBe(10);
  });

  it("adds up a run's CPU-seconds from its steps, epoch ends, forward passes, attack, spectra and compilation", () => {
    // 45 epochs of 30 steps; 3 evaluations + 2 more passes over 10,000 test images, 5,000 held-out; 10,000 attacked; 10 class spectra.
    const s = runSeconds({ trainSize: 3000, batch: 100, epochs: 45, testSize: 10000, evalEvery: 15, extraTestPasses: 2, heldOut: 5000, attacked: 10000, spectrumClasses: 10 }, cost);
    expect(s).toBeCloseTo(2 + 1350 * 0.1 + 45 * 0.01 + (5 * 10000 + 5000) * 0.0002 + 10000 * 0.001 + 10 * 0.5, 9);
    // A partial last batch is dropped, as in training.
    expect(runSeconds({ trainSize: 150, batch: 100, epochs: 1, testSize: 0, extraTestPasses: 0, heldOut: 0, attacked: 0, spectrumClasses: 0 }, cost)).toBeCloseTo(2.11, 9);
  });

  it("schedules runs on workers and cores: a lone last run leaves a core idle, a third worker shares the cores", () => {
    expect(makespan([10, 10, 10], 1, 2)).toBeCloseTo(30, 9);
    expect(makespan([10, 10, 10], 2, 2)).toBeCloseTo(20, 9);
    expect(makespan([10, 10, 10], 3, 2)).toBeCloseTo(15, 9);
    // Unequal runs: the short one frees its worker for the queued one.
    expect(makespan([4, 10, 6], 2, 2)).toBeCloseTo(10, 9);
    // More workers than runs, one core: the runs share it.
    expect(makespan([5, 5], 4, 1)).toBeCloseTo(10, 9);
    expect(makespan([], 2, 2)).toBe(0);
  });

  it("prints the prediction with its measured costs, and the measured time beside it", () => {
    const line = predictionLine({ runs: 9, cpuSeconds: 1500, wallSeconds: 750, workers: 3, cores: 2, cost });
    expect(line).toBe(
      "predicted running time: 12m30s on 2 idle cores (9 runs, 3 at a time, about 167 CPU-seconds per run on average, 1500 CPU-seconds in all; measured here by a timing probe: 100 ms per training step, 10 ms at each epoch's end, 200 µs per test example evaluated, 1000 µs per example attacked, 0.50 s per class spectrum, 2.0 s of compilation per run); longer on a machine busy with other work",
    );
    expect(predictionLine({ runs: 32, cpuSeconds: 6400, wallSeconds: 3200, workers: 2, cores: 2, cost, noun: "cell" })).toMatch(/^predicted running time: 53m20s on 2 idle cores \(32 cells, 2 at a time, about 200 CPU-seconds per cell on average, 6400 CPU-seconds in all;/);
    expect(runningTimeLine({ predictedSeconds: 750, wallSeconds: 800.4, cpuSeconds: 1580.6, load: [0.42, 3.1] })).toBe(
      "running time: predicted 12m30s on idle cores, measured 13m20s (1581 CPU-seconds of this process; 1-minute load average 0.4 at the start, 3.1 at the end)",
    );
    expect(runningTimeLine({ wallSeconds: 5, cpuSeconds: 9, load: [1, 1] })).toMatch(/^running time: measured 5s \(9 CPU-seconds/);
  });
});

import { np } from "@mmx/core";
import { describe, expect, it } from "vitest";
import { calibrationReport, ece, fitTemperature, nll } from "./index.js";

/** A small deterministic generator (mulberry32), so the synthetic data is the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Logits z (Gaussian, scale 3) and labels drawn from softmax(z / trueT): a model whose calibrated
 * temperature is trueT by construction.
 */
function synthetic(rows: number, classes: number, trueT: number, seed: number): { logits: number[][]; labels: number[] } {
  const u = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  const logits: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < rows; i++) {
    const z = globalThis.Array.from({ length: classes }, () => 3 * gauss());
    const top = Math.max(...z);
    const e = z.map((v) => Math.exp((v - top) / trueT));
    const s = e.reduce((a, b) => a + b, 0);
    let r = u() * s;
    let label = classes - 1;
    for (let j = 0; j < classes; j++) {
      r -= e[j]!;
      if (r < 0) {
        label = j;
        break;
      }
    }
    logits.push(z);
    labels.push(label);
  }
  return { logits, labels };
}

describe("fitTemperature", () => {
  it.each([0.5, 1, 2.5])("recovers the temperature %s that generated the labels", (trueT) => {
    const { logits, labels } = synthetic(6000, 5, trueT, 7);
    const fit = fitTemperature(np.array(logits), labels);
    expect(fit.temperature).toBeGreaterThan(trueT * 0.93);
    expect(fit.temperature).toBeLessThan(trueT * 1.07);
    expect(fit.nllAfter).toBeLessThanOrEqual(fit.nllBefore);
    expect(fit.count).toBe(6000);
    expect(fit.atBound).toBeUndefined();
  });

  it("finds a stationary point of the NLL: nudging T either way raises it", () => {
    const { logits, labels } = synthetic(500, 4, 2, 3);
    const z = np.array(logits);
    const { temperature: t, nllAfter } = fitTemperature(z, labels);
    for (const f of [0.99, 1.01]) expect(nll(np.array(logits.map((r) => r.map((v) => v / (t * f)))), labels)).toBeGreaterThan(nllAfter);
    // The NLL it reports is the NLL of the scaled logits (float32 rounding apart).
    expect(nll(np.array(logits.map((r) => r.map((v) => v / t))), labels)).toBeCloseTo(nllAfter, 5);
  });

  it("is deterministic", () => {
    const { logits, labels } = synthetic(300, 3, 1.7, 11);
    expect(fitTemperature(np.array(logits), labels)).toEqual(fitTemperature(np.array(logits), labels));
  });

  it("stops at the lower bound when the logits separate the data perfectly, and says so", () => {
    const fit = fitTemperature(np.array([[3, 0], [0, 2], [1, -1]]), [0, 1, 0], { minTemperature: 0.05 });
    expect(fit).toMatchObject({ temperature: 0.05, atBound: "lower" });
  });

  it("refuses NaN or infinite logits, an empty set and a bad range, each on one line", () => {
    const oneLine = (f: () => unknown, pattern: RegExp) => {
      expect(f).toThrow(pattern);
      try {
        f();
      } catch (e) {
        expect((e as Error).message).not.toContain("\n");
      }
    };
    oneLine(() => fitTemperature(np.array([[1, Number.NaN], [0, 1]]), [0, 1]), /^fitTemperature: logits row 0 column 1 is NaN; temperature scaling needs finite logits$/);
    oneLine(() => fitTemperature(np.array([[1, 0], [Infinity, 1]]), [0, 1]), /^fitTemperature: logits row 1 column 0 is Infinity/);
    oneLine(() => fitTemperature(np.zeros([0, 3]), []), /^fitTemperature: no examples \(logits of shape \[0,3\]\)$/);
    oneLine(() => fitTemperature(np.array([[1, 0]]), [0], { minTemperature: 0 }), /^fitTemperature: minTemperature must be a finite number > 0, got 0$/);
    oneLine(() => fitTemperature(np.array([[1, 0]]), [0], { minTemperature: 2, maxTemperature: 1 }), /^fitTemperature: maxTemperature must be finite and > minTemperature \(2\), got 1$/);
    oneLine(() => fitTemperature(np.array([[1, 0]]), [2]), /^fitTemperature: label 0 is 2; labels must be integers in \[0, 2\)/);
  });
});

describe("calibrationReport", () => {
  it("on an overconfident model, T fitted on held-out data lowers the NLL and ECE of separate evaluation data", () => {
    // Labels follow softmax(z / 3): logits three times too sharp.
    const held = synthetic(3000, 10, 3, 21);
    const test = synthetic(3000, 10, 3, 22);
    const r = calibrationReport({ logits: np.array(held.logits), labels: held.labels }, { logits: np.array(test.logits), labels: test.labels });
    expect(r.temperature).toBeGreaterThan(2.7);
    expect(r.temperature).toBeLessThan(3.3);
    expect(r.fitCount).toBe(3000);
    expect(r.count).toBe(3000);
    expect(r.after.nll).toBeLessThan(r.before.nll);
    expect(r.after.ece).toBeLessThan(r.before.ece);
    // What is left is the sampling noise of 15 bins over 3,000 examples.
    expect(r.after.ece).toBeLessThan(0.05);
    expect(r.before.ece).toBeGreaterThan(0.15);
    // Before is the plain metrics of the evaluation logits.
    expect(r.before.nll).toBeCloseTo(nll(np.array(test.logits), test.labels), 6);
    expect(r.before.ece).toBeCloseTo(ece(np.array(test.logits), test.labels, { input: "logits" }), 6);
  });

  it("names which logits are bad", () => {
    const good = { logits: np.array([[1, 0]]), labels: [0] };
    expect(() => calibrationReport(good, { logits: np.array([[Number.NaN, 0]]), labels: [0] })).toThrow(/^calibrationReport \(evaluated logits\): logits row 0 column 0 is NaN/);
    expect(() => calibrationReport({ logits: np.zeros([0, 2]), labels: [] }, good)).toThrow(/^calibrationReport \(held-out logits\): no examples/);
    expect(() => calibrationReport(good, { logits: np.array([[1, 0, 0]]), labels: [0] })).toThrow(/^calibrationReport: held-out logits have 2 classes, evaluated logits 3$/);
    expect(() => calibrationReport(good, good, { bins: 0 })).toThrow(/^calibrationReport: bins must be a positive integer, got 0$/);
  });
});

import { grad, jit, np, tidy, type Array } from "@mmx/core";
import { describe, expect, it } from "vitest";
import { smoothLabels } from "./index.js";

describe("smoothLabels", () => {
  it("gives (1 − ε)·y + ε/C, rows still summing to 1", () =>
    tidy(() => {
      const y = np.array([[1, 0, 0, 0], [0, 0.5, 0.5, 0]]);
      const s = smoothLabels(y, 0.2);
      expect([...s.dataSync()].map((v) => Math.round(v * 1e6) / 1e6)).toEqual([0.85, 0.05, 0.05, 0.05, 0.05, 0.45, 0.45, 0.05]);
      expect([...np.sum(s, { axis: -1 }).dataSync()].map((v) => Math.round(v * 1e6) / 1e6)).toEqual([1, 1]);
      expect(smoothLabels(y, 0)).toBe(y);
    }));

  it("traces: jitted equals eager, and the gradient is 1 − ε", () =>
    tidy(() => {
      const y = np.array([[0, 1, 0]]);
      expect([...jit((t: Array) => smoothLabels(t, 0.3))(y).dataSync()]).toEqual([...smoothLabels(y, 0.3).dataSync()]);
      const g = grad((t: Array) => np.sum(smoothLabels(t, 0.3)))(y) as Array;
      expect([...g.dataSync()].map((v) => Math.round(v * 1e6) / 1e6)).toEqual([0.7, 0.7, 0.7]);
    }));

  it("names bad input", () =>
    tidy(() => {
      expect(() => smoothLabels(np.array([[1, 0]]), 1.5)).toThrow("smoothLabels: labelSmoothing must be a number in [0, 1], got 1.5");
      expect(() => smoothLabels(np.array([0, 1], { dtype: "int32" }), 0.1)).toThrow("smoothLabels: targets must be float32 rows [B, C], got i32[2]");
    }));
});

import { describe, expect, it } from "vitest";
import { StepTimer } from "./step-timer.js";

describe("StepTimer", () => {
  it("gives no estimate before three steps", () => {
    const t = new StepTimer();
    expect(t.perStep()).toBeNaN();
    t.record(2.5);
    t.record(0.01);
    expect(t.perStep()).toBeNaN();
    t.record(0.01);
    expect(t.perStep()).toBe(0.01);
  });

  it("is not thrown by compiles: one slow first step per program among fast ones", () => {
    const t = new StepTimer();
    // A Manifold Mixup run: 5 programs compiled in the first 20 steps (3 s each), 10 ms steps otherwise.
    for (let i = 0; i < 20; i++) t.record(i % 4 === 0 ? 3 : 0.01);
    expect(t.perStep()).toBe(0.01);
  });

  it("follows the recent steps once the window is full", () => {
    const t = new StepTimer(8);
    for (let i = 0; i < 8; i++) t.record(0.01);
    for (let i = 0; i < 5; i++) t.record(0.05);
    expect(t.perStep()).toBe(0.05);
  });
});

import { describe, expect, it } from "vitest";
import { formatDuration, Progress, type ProgressState } from "./progress.js";

const state = (step: number, extra: Partial<ProgressState> = {}): ProgressState => ({ epoch: 2, epochs: 5, step, steps: 10, loss: 0.25, examplesPerSecond: 12345.6, etaSeconds: 75, ...extra });

describe("Progress", () => {
  it("redraws one line in place on a terminal, at most every 100 ms but always at an epoch's end", () => {
    let out = "";
    let now = 0;
    const p = new Progress({ write: (t: string) => (out += t), isTTY: true, columns: 200 }, { now: () => now });
    p.update(state(1, { label: "spirals none s0" }));
    now = 50;
    p.update(state(2));
    now = 150;
    p.update(state(3));
    now = 160;
    p.update(state(10));
    p.log("a note");
    p.done();
    const draws = out.split("\r").filter((s) => s.startsWith("epoch") || s.startsWith("spirals"));
    expect(draws).toHaveLength(3);
    expect(draws[0]).toBe("spirals none s0  epoch 2/5 [##------------------] step 1/10  loss 0.2500  12,346 ex/s  ETA 1m15s\x1b[K");
    expect(draws[2]).toMatch(/^epoch 2\/5 \[#{20}\] step 10\/10/);
    expect(out).toMatch(/\r\x1b\[Ka note\n$/);
  });

  it("writes plain lines elsewhere: one per interval, and the final one", () => {
    let out = "";
    let now = 0;
    const p = new Progress({ write: (t: string) => (out += t) }, { now: () => now, plainEverySeconds: 10 });
    p.update(state(1));
    now = 5000;
    p.update(state(2));
    now = 10_001;
    p.update(state(3));
    now = 10_002;
    p.update(state(10, { epoch: 5, final: true }));
    expect(out.split("\n").filter(Boolean)).toEqual([
      "epoch 2/5 step 1/10  loss 0.2500  12,346 ex/s  ETA 1m15s",
      "epoch 2/5 step 3/10  loss 0.2500  12,346 ex/s  ETA 1m15s",
      "epoch 5/5 step 10/10  loss 0.2500  12,346 ex/s  ETA 1m15s",
    ]);
    expect(out).not.toMatch(/\r|\x1b/);
  });

  it("formats durations", () => {
    expect([formatDuration(0.4), formatDuration(59.6), formatDuration(61), formatDuration(3725), formatDuration(NaN)]).toEqual(["0s", "1m00s", "1m01s", "1h02m", "--"]);
  });
});

import { describe, expect, it } from "vitest";
import { formatTick, niceTicks } from "./plot.js";

describe("axis ticks", () => {
  it("are round numbers that cover the range", () => {
    expect(niceTicks(0, 1, 4)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(niceTicks(-1.3, 1.3, 4)).toEqual([-1, 0, 1]);
    const narrow = niceTicks(0.6405, 0.7032, 4);
    expect(narrow).toHaveLength(3);
    [0.66, 0.68, 0.7].forEach((v, i) => expect(narrow[i]).toBeCloseTo(v, 12));
  });

  it("are labelled with the decimals their spacing needs, so neighbours never print alike", () => {
    const ticks = niceTicks(0.7025, 0.7036, 4);
    const labels = ticks.map((t) => formatTick(t, ticks[1]! - ticks[0]!));
    expect(new Set(labels).size).toBe(labels.length);
    expect(formatTick(-0.5, 0.5)).toBe("−0.5");
    expect(formatTick(1500, 500)).toBe("1.5k");
    expect(formatTick(40, 10)).toBe("40");
    expect([0.25, 0.5, 0.75].map((t) => formatTick(t, 0.25))).toEqual(["0.25", "0.50", "0.75"]);
  });
});

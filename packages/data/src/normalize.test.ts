import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hostArray } from "./host-array.js";
import { channelStats, normalize } from "./normalize.js";

describe("channelStats / normalize", () => {
  it("computes per-channel mean and std over all other axes", () => {
    // Two images 1x2, 2 channels: channel 0 holds 1,2,3,4; channel 1 holds 10,10,10,30.
    const x = hostArray(Float32Array.from([1, 10, 2, 10, 3, 10, 4, 30]), [2, 1, 2, 2]);
    const { mean, std } = channelStats(x);
    expect(mean).toEqual([2.5, 15]);
    expect(std[0]).toBeCloseTo(Math.sqrt(1.25), 12);
    expect(std[1]).toBeCloseTo(Math.sqrt(75), 12);
  });

  it("normalised data has mean 0 and std 1 per channel; given stats are applied as they are", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.float({ min: -100, max: 100, noNaN: true, noDefaultInfinity: true }), { minLength: 6, maxLength: 60 }),
        (channels, values) => {
          const n = Math.floor(values.length / channels);
          const x = hostArray(Float32Array.from(values.slice(0, n * channels)), [n, channels]);
          const stats = channelStats(x);
          fc.pre(stats.std.every((s) => s > 1e-3));
          const z = channelStats(normalize(x));
          z.mean.forEach((m) => expect(Math.abs(m)).toBeLessThan(1e-4));
          z.std.forEach((s) => expect(s).toBeCloseTo(1, 4));
        },
      ),
      { numRuns: 50 },
    );
    const y = normalize(hostArray(Float32Array.from([0, 1, 2, 3]), [2, 2]), { mean: [1, 1], std: [2, 4] });
    expect([...y.data]).toEqual([-0.5, 0, 0.5, 0.5]);
  });

  it("rejects mismatched stats and a zero std by channel", () => {
    const x = hostArray(new Float32Array(6), [3, 2]);
    expect(() => normalize(x, { mean: [0], std: [1] })).toThrow(/1 means and 1 stds for 2 channels/);
    expect(() => normalize(x)).toThrow(/std of channel 0 is 0/);
    expect(() => channelStats(hostArray(new Float32Array(3), [3]))).toThrow(/expected \[N, \.\.\., C\]/);
  });
});

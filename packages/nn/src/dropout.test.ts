/** Dropout: inverted scaling, drop-rate statistics, determinism by key and across backends. */
import { describe, expect, it } from "vitest";
import { getBackend, np, setBackend, tidy } from "@mmx/core";
import { key } from "@mmx/random";
import { dense, dropout, LayerOptionError, sequential } from "./index.js";

const n = 20_000;

describe("dropout", () => {
  it("drops a fraction p (within 5 binomial standard deviations) and scales survivors by 1/(1-p)", () => {
    for (const p of [0.1, 0.5, 0.8]) {
      tidy(() => {
        const out = dropout(p).apply({}, np.ones([n]), { train: true, key: key(7) }).out.dataSync();
        const zeros = out.filter((v) => v === 0).length;
        // Five standard deviations: a false alarm about once in 1.7 million runs per rate.
        expect(Math.abs(zeros / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
        expect(out.filter((v) => v !== 0).every((v) => Math.abs(v - 1 / (1 - p)) < 1e-6)).toBe(true);
      });
    }
  });

  it("is the identity in evaluation mode and with p = 0; p = 1 drops everything", () => {
    tidy(() => {
      const x = np.array([[1, -2, 3]]);
      expect(dropout(0.5).apply({}, x).out).toBe(x);
      expect([...dropout(0).apply({}, x, { train: true }).out.dataSync()]).toEqual([1, -2, 3]);
      expect([...dropout(1).apply({}, x, { train: true, key: key(0) }).out.dataSync()]).toEqual([0, 0, 0]);
    });
  });

  it("draws the same mask from the same key, other masks from other keys and for other children", () => {
    tidy(() => {
      const mask = (k: number) => [...dropout(0.5).apply({}, np.ones([64]), { train: true, key: key(k) }).out.dataSync()];
      expect(mask(1)).toEqual(mask(1));
      expect(mask(1)).not.toEqual(mask(2));
      const two = sequential({ a: dropout(0.5), b: dropout(0.5) });
      const a = sequential({ a: dropout(0.5) });
      const k = key(3);
      // Inside a sequential a child's key is derived from its name: two children differ, and a
      // child draws the same mask wherever the same-named child sits.
      const first = [...a.apply({}, np.ones([64]), { train: true, key: k }).out.dataSync()];
      const both = [...two.apply({}, np.ones([64]), { train: true, key: k }).out.dataSync()];
      expect(first.filter((v) => v === 0).length).toBeGreaterThan(10);
      expect(first.every((v, i) => v !== 0 || both[i] === 0)).toBe(true);
      expect(both.filter((v) => v === 0).length).toBeGreaterThan(first.filter((v) => v === 0).length);
    });
  });

  it("gives bit-identical masks on cpu and wasm (the draws are made on the host)", async () => {
    const before = getBackend();
    const masks: number[][] = [];
    try {
      for (const b of ["cpu", "wasm"]) {
        await setBackend(b);
        masks.push(tidy(() => [...dropout(0.3).apply({}, np.ones([2, 50]), { train: true, key: key(11) }).out.dataSync()]));
      }
    } finally {
      await setBackend(before);
    }
    expect(masks[0]).toEqual(masks[1]);
  });

  it("errors: training without a key names the layer; p outside [0, 1]", () => {
    tidy(() => {
      const model = sequential({ fc: dense(3), drop: dropout(0.2) });
      const { params } = model.init(key(0), [-1, 2]);
      expect(() => model.apply(params, np.ones([4, 2]), { train: true })).toThrow(LayerOptionError);
      expect(() => model.apply(params, np.ones([4, 2]), { train: true })).toThrow(/sequential layer: training mode draws random numbers \(dropout\): pass opts\.key/);
      expect(() => dropout(0.2).apply({}, np.ones([4, 2]), { train: true })).toThrow(/dropout layer: training mode draws random numbers/);
      expect(model.apply(params, np.ones([4, 2])).out.shape).toEqual([4, 3]);
      expect(() => dropout(1.5)).toThrow(/p must lie in \[0, 1\], got 1.5/);
      expect(() => dropout(Number.NaN)).toThrow(RangeError);
    });
  });
});

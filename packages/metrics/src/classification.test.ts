import { np, tidy } from "@mmx/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { accuracy, error, nll } from "./index.js";

const logits = () => np.array([[2, 1, 0], [0, 3, 1], [1, 1, 5], [0.5, 0.2, 0.1]]);
const labels = () => np.array([0, 1, 0, 2], { dtype: "int32" });

describe("accuracy and error", () => {
  it("count argmax matches on a hand-made case", () => {
    // predictions 0, 1, 2, 0 against labels 0, 1, 0, 2: two right, two wrong
    expect(accuracy(logits(), labels())).toBe(0.5);
    expect(error(logits(), labels())).toBe(0.5);
    expect(accuracy(logits(), [0, 1, 2, 0])).toBe(1);
    expect(error(logits(), new Int32Array([1, 0, 0, 1]))).toBe(1);
  });

  it("break ties toward the first class, as np.argmax", () => {
    expect(accuracy(np.array([[1, 1], [2, 2]]), [0, 1])).toBe(0.5);
  });

  it("read one-hot labels by their argmax", () => {
    expect(accuracy(logits(), np.oneHot(labels(), 3))).toBe(0.5);
  });

  it("sum to one", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 2, max: 5 }), fc.integer(), (n, c, seed) => {
        const values = globalThis.Array.from({ length: n * c }, (_, i) => Math.sin(seed + i * 7.1) * 3);
        const y = globalThis.Array.from({ length: n }, (_, i) => Math.abs(seed + i) % c);
        const x = np.array(values, { shape: [n, c] });
        const a = accuracy(x, y);
        expect(a + error(x, y)).toBeCloseTo(1, 12);
        x.dispose();
      }),
      { numRuns: 30 },
    );
  });
});

describe("nll", () => {
  it("is the cross-entropy of the true class on hand-made cases", () => {
    expect(nll(np.array([[0, 0]]), [0])).toBeCloseTo(Math.log(2), 6);
    // softmax([ln 3, 0]) = [3/4, 1/4]
    expect(nll(np.array([[Math.log(3), 0], [Math.log(3), 0]]), [0, 1])).toBeCloseTo((-Math.log(0.75) - Math.log(0.25)) / 2, 6);
  });

  it("equals -mean log softmax at the label", () => {
    const x = logits();
    const y = labels();
    const reference = tidy(() => np.neg(np.mean(np.sum(np.mul(np.logSoftmax(x), np.oneHot(y, 3)), { axis: 1 }))));
    expect(nll(x, y)).toBeCloseTo(reference.item(), 5);
  });

  it("is stable for large logits", () => {
    expect(nll(np.array([[1000, 0]]), [1])).toBeCloseTo(1000, 6);
    expect(nll(np.array([[1000, 0]]), [0])).toBe(0);
    expect(nll(np.array([[-1000, 1000, 0]]), [0])).toBeCloseTo(2000, 6);
  });
});

describe("bad input", () => {
  it("names the shape or the label at fault", () => {
    expect(() => accuracy(np.array([1, 2, 3]), [0, 1, 2])).toThrow(/\[N, C\].*float32\[3\]/);
    expect(() => accuracy(np.array([[1, 2], [3, 4]]), [0])).toThrow(/1 labels for 2 rows/);
    expect(() => nll(np.array([[1, 2], [3, 4]]), [0, 2])).toThrow(/label 1 is 2.*\[0, 2\)/);
    expect(() => error(np.array([[1, 2]]), [0.5])).toThrow(/label 0 is 0.5/);
    expect(() => nll(np.zeros([0, 3]), [])).toThrow(/no examples/);
    expect(() => accuracy(np.array([[1, 2]]), np.oneHot(np.array([0], { dtype: "int32" }), 3))).toThrow(/one-hot labels float32\[1,3\] do not match the scores' \[1,2\]/);
    expect(() => accuracy(np.array([[1, 2]], { dtype: "int32" }), [0])).toThrow(/float32 scores, got int32\[1,2\]/);
  });
});

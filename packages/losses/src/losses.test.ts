import { Array, grad, jit, np, tidy, valueAndGrad } from "@mmx/core";
import { describe, expect, it } from "vitest";
import { bceSoftmax, crossEntropy, mixedLoss, mse, nll, softCrossEntropy, type Loss } from "./index.js";
import { expectClose } from "./testing-only/close.js";

const value = (x: Array) => x.item();
const gradOf = (f: (l: Array) => Array, logits: Array) => (grad(f)(logits) as Array).dataSync();
const labels = (ys: number[]) => np.array(ys, { dtype: "int32" });

describe("hand-computed values", () => {
  it("softCrossEntropy", () =>
    tidy(() => {
      expectClose(value(softCrossEntropy(np.array([[0, 0]]), np.array([[1, 0]]))), Math.LN2);
      // softmax([0, ln 3]) = [1/4, 3/4]: against itself the cross-entropy is the entropy.
      const h = -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75));
      expectClose(value(softCrossEntropy(np.array([[0, Math.log(3)]]), np.array([[0.25, 0.75]]))), h);
      // int32 labels are their one-hot rows; the batch mean of [-ln 3/4, -ln 1/4].
      const two = np.array([[0, Math.log(3)], [Math.log(3), 0]]);
      const want = (-Math.log(0.75) - Math.log(0.25)) / 2;
      expectClose(value(softCrossEntropy(two, labels([1, 1]))), want);
      expectClose(softCrossEntropy(two, labels([1, 1]), { reduction: "none" }).dataSync(), [-Math.log(0.75), -Math.log(0.25)]);
    }));

  it("nll and crossEntropy", () =>
    tidy(() => {
      const two = np.array([[0, Math.log(3)], [Math.log(3), 0]]);
      expectClose(value(nll(two, labels([1, 1]))), (-Math.log(0.75) - Math.log(0.25)) / 2);
      expectClose(value(nll(two, labels([1, 0]))), -Math.log(0.75));
      expect(crossEntropy).toBe(nll);
      // d/dlogits = (softmax - onehot) / B
      expectClose(gradOf((l) => nll(l, labels([1, 0])), two), [0.25 / 2, -0.25 / 2, -0.25 / 2, 0.25 / 2]);
    }));

  it("bceSoftmax", () =>
    tidy(() => {
      // p = [1/2, 1/2]: each of the two elements costs ln 2.
      expectClose(value(bceSoftmax(np.array([[0, 0]]), np.array([[1, 0]]))), Math.LN2);
      // p = [1/4, 3/4], t = [0, 1]: -(ln(3/4) + ln(3/4)) / 2.
      expectClose(value(bceSoftmax(np.array([[0, Math.log(3)]]), labels([1]))), -Math.log(0.75));
      // p = [1/4, 3/4], t = [0.5, 0.5]: -(0.5 ln(1/4) + 0.5 ln(3/4)) for each element, averaged.
      expectClose(value(bceSoftmax(np.array([[0, Math.log(3)]]), np.array([[0.5, 0.5]]))), -(0.5 * Math.log(0.25) + 0.5 * Math.log(0.75)));
      // One class: p = 1, log(1 - p) = -inf is clamped at -100 as PyTorch does.
      expectClose(value(bceSoftmax(np.array([[5], [-2]]), np.array([[0.3], [1]]))), (0.7 * 100 + 0) / 2);
      expectClose(gradOf((l) => bceSoftmax(l, np.array([[0.3], [1]])), np.array([[5], [-2]])), [0, 0]);
    }));

  it("mse", () =>
    tidy(() => {
      const pred = np.array([[1, 2], [3, 4]]);
      expectClose(value(mse(pred, np.array([[0, 2], [3, 2]]))), 5 / 4);
      expectClose(mse(pred, np.array([[0, 2], [3, 2]]), { reduction: "none" }).dataSync(), [0.5, 2]);
      // int32 labels are compared with their one-hot rows: [0,1] and [1,0].
      expectClose(value(mse(pred, labels([1, 0]))), (1 + 1 + 4 + 16) / 4);
      expectClose(value(mse(np.array([1, -1, 3]), np.array([0, 0, 0]))), 11 / 3);
      expectClose(gradOf((p) => mse(p, np.array([[0, 2], [3, 2]])), pred), [2 / 4, 0, 0, 4 / 4]);
    }));

  it("mixedLoss: λ·L(y) + (1-λ)·L(y[perm]) with a number, a scalar Array and a per-example Array", () =>
    tidy(() => {
      const logits = np.array([[0, Math.log(3)], [Math.log(3), 0]]);
      const y = labels([1, 1]);
      // y[perm] = [1, 1] too with perm [1, 0]... so take y = [1, 0]: y[perm] = [0, 1].
      const y2 = labels([1, 0]);
      const a = -Math.log(0.75); // every row gets its likely class under y2
      const b = -Math.log(0.25); // and its unlikely one under y2[perm]
      expectClose(value(mixedLoss(nll, 0.3, y2, [1, 0])(logits)), 0.3 * a + 0.7 * b);
      expectClose(value(mixedLoss(nll, np.array(0.3), y2, [1, 0])(logits)), 0.3 * a + 0.7 * b);
      expectClose(value(mixedLoss(nll, np.array([0.2, 0.6]), y2, labels([1, 0]))(logits)), (0.2 * a + 0.8 * b + 0.6 * a + 0.4 * b) / 2);
      expectClose(value(mixedLoss(nll, 0.3, y, [1, 0])(logits)), (a + b) / 2);
    }));
});

describe("extreme logits: finite values and correct gradients", () => {
  for (const big of [1e4, 1e30]) {
    it(`logits of ±${big}`, () =>
      tidy(() => {
        const logits = np.array([[big, -big], [-big, big]]);
        // A wrong confident prediction costs the logit gap; the gradient is (softmax - onehot) / B.
        expectClose(value(softCrossEntropy(logits, np.array([[0, 1], [0, 1]]))), big, { rtol: 1e-6 });
        expectClose(gradOf((l) => softCrossEntropy(l, np.array([[0, 1], [0, 1]])), logits), [0.5, -0.5, 0, 0]);
        expectClose(value(nll(logits, labels([1, 1]))), big, { rtol: 1e-6 });
        expectClose(gradOf((l) => nll(l, labels([1, 1])), logits), [0.5, -0.5, 0, 0]);
        // BCE: log p = -2·big and log(1 - p) = -2·big are both clamped: row 0 costs (100 + 100) / 2.
        expectClose(value(bceSoftmax(logits, labels([1, 1]))), (100 + 0) / 2);
        // Every term is either clamped (gradient 0) or saturated at p ∈ {0, 1} (gradient 0).
        expectClose(gradOf((l) => bceSoftmax(l, labels([1, 1])), logits), [0, 0, 0, 0]);
        // Mixed targets on a confident row: class 0 pays (1 - 0.5)·100 for log(1 - p_0), class 1 pays
        // 0.5·100 for log p_1, class 2 (t = 0, p = 0) nothing. Only the clamp bounds the cost.
        expectClose(value(bceSoftmax(np.array([[big, -big, -big]]), np.array([[0.5, 0.5, 0]]))), (0.5 * 100 + 0.5 * 100) / 3);
      }));
  }

  it("a confident row whose log(1 - p) is far from the clamp keeps its true value (a naive float32 log(1 - p) gives -100)", () =>
    tidy(() => {
      // p_0 = 1/(1 + 2e^-30) rounds to 1 in float32; log(1 - p_0) = ln 2 - 30.
      const logits = np.array([[30, 0, 0]]);
      const t = np.array([[0, 0.5, 0.5]]);
      const logP1 = -30 - Math.log1p(2 * Math.exp(-30));
      const want = -((0 + Math.LN2 - 30) + 2 * (0.5 * logP1 + 0.5 * Math.log1p(-Math.exp(logP1)))) / 3;
      expectClose(value(bceSoftmax(logits, t)), want, { rtol: 1e-6 });
      // d/dx_0 of -(ln(1 - p_0))/3 = p_0/3 (to 1e-13); the t terms add -(1 - p_0)·... ≈ 0 and the
      // log p_c terms add -(t_c)(δ - p_0)/3 = +0.5·1/3 each for c = 1, 2.
      const g = gradOf((l) => bceSoftmax(l, t), logits);
      expectClose(g[0]!, 1 / 3 + 1 / 3, { rtol: 1e-5 });
      for (const v of g) expect(Number.isFinite(v)).toBe(true);
    }));

  it("-inf logits (masked classes) give finite values and zero gradients there", () =>
    tidy(() => {
      const logits = np.array([[0, -Infinity, 0]]);
      for (const f of [(l: Array) => softCrossEntropy(l, np.array([[0.5, 0, 0.5]])), (l: Array) => nll(l, labels([0])), (l: Array) => bceSoftmax(l, np.array([[0.5, 0, 0.5]]))]) {
        expect(Number.isFinite(value(f(logits)))).toBe(true);
        const g = gradOf(f, logits);
        g.forEach((v) => expect(Number.isFinite(v), `gradient ${[...g]}`).toBe(true));
        expect(g[1]).toBe(0);
      }
      expectClose(value(nll(logits, labels([0]))), Math.LN2);
      expectClose(value(bceSoftmax(np.array([[3, -Infinity, -Infinity]]), labels([0]))), 0);
    }));
});

describe("under jit", () => {
  const cases: [string, Loss, () => Array][] = [
    ["softCrossEntropy", softCrossEntropy, () => np.array([[0.2, 0.8, 0], [0, 0.3, 0.7]])],
    ["bceSoftmax", bceSoftmax, () => np.array([[0.2, 0.8, 0], [0, 0.3, 0.7]])],
    ["nll", nll, () => labels([2, 0])],
    ["mse", mse, () => np.array([[0.2, 0.8, 0], [0, 0.3, 0.7]])],
  ];
  for (const [name, loss, targets] of cases) {
    it(`${name}: jit(valueAndGrad) equals eager`, () =>
      tidy(() => {
        const logits = np.array([[1.5, -2, 0.25], [40, -3, 39]]);
        const t = targets();
        const step = jit((l: Array, tt: Array) => valueAndGrad((x: Array) => loss(x, tt))(l));
        const [v, g] = step(logits, t) as [Array, Array];
        const [ve, ge] = valueAndGrad((x: Array) => loss(x, t))(logits) as [Array, Array];
        expectClose(v.item(), ve.item(), { rtol: 1e-6 });
        expectClose(g.dataSync(), ge.dataSync(), { rtol: 1e-6, atol: 1e-8 });
        step(logits, t);
        expect(step.cacheSize).toBe(1);
      }));
  }

  it("mixedLoss with a traced λ and perm", () =>
    tidy(() => {
      const logits = np.array([[1.5, -2, 0.25], [4, -3, 3.9], [0, 0, 1]]);
      const y = labels([2, 0, 1]);
      const f = jit((l: Array, lam: Array, perm: Array) => mixedLoss(bceSoftmax, lam, y, perm)(l));
      const eager = mixedLoss(bceSoftmax, 0.4, y, [1, 2, 0])(logits).item();
      expectClose((f(logits, np.array(0.4), labels([1, 2, 0])) as Array).item(), eager, { rtol: 1e-6 });
      const perExample = mixedLoss(bceSoftmax, np.array([0.4, 0.4, 0.4]), y, [1, 2, 0])(logits).item();
      expectClose(perExample, eager, { rtol: 1e-6 });
      expectClose((f(logits, np.array([0.4, 0.4, 0.4]), labels([1, 2, 0])) as Array).item(), eager, { rtol: 1e-6 });
    }));
});

describe("errors name the culprit", () => {
  it("logits and targets", () =>
    tidy(() => {
      const logits = np.array([[1, 2, 3], [4, 5, 6]]);
      expect(() => softCrossEntropy(np.array([1, 2, 3]), np.array([0, 0, 1]))).toThrow(/softCrossEntropy: logits must be float32 \[B, C\].*float32 \[3\]/);
      expect(() => nll(labels([1, 2]) as Array, labels([0, 0]))).toThrow(/nll: logits must be float32 \[B, C\].*int32 \[2\]/);
      expect(() => softCrossEntropy(logits, np.array([[1, 0], [0, 1]]))).toThrow(/softCrossEntropy: targets must be float32 \[2,3\] like the logits.*got float32 \[2,2\]/);
      expect(() => bceSoftmax(logits, labels([0, 3]))).toThrow(/bceSoftmax: label 3 at index 1 is outside \[0, 3\)/);
      expect(() => nll(logits, labels([0, -1]))).toThrow(/nll: label -1 at index 1/);
      expect(() => nll(logits, labels([0, 1, 2]))).toThrow(/nll: int32 labels must have shape \[2\].*int32 \[3\]/);
      expect(() => nll(logits, np.array([[1, 0, 0], [0, 1, 0]]))).toThrow(/nll: labels must be int32.*use softCrossEntropy/);
      expect(() => mse(logits, np.array([1, 2]))).toThrow(/mse: target must be float32 \[2,3\] like pred/);
      expect(() => softCrossEntropy(logits, labels([0, 1]), { reduction: "sum" as never })).toThrow(/reduction must be "mean" or "none", got "sum"/);
    }));

  it("mixedLoss arguments", () =>
    tidy(() => {
      const logits = np.array([[1, 2, 3], [4, 5, 6]]);
      const y = labels([0, 2]);
      expect(() => mixedLoss(nll, 1.5, y, [1, 0])).toThrow(/mixedLoss: λ must lie in \[0, 1\], got 1.5/);
      expect(() => mixedLoss(nll, NaN, y, [1, 0])).toThrow(/λ must lie in \[0, 1\], got NaN/);
      expect(() => mixedLoss(nll, np.array([0.5, -0.1]), y, [1, 0])).toThrow(/λ must lie in \[0, 1\], got -0.1.* at index 1/);
      expect(() => mixedLoss(nll, np.array([0.5, 0.5, 0.5]), y, [1, 0])).toThrow(/λ must be a number, a float32 scalar or a float32 \[2\] Array.*float32 \[3\]/);
      expect(() => mixedLoss(nll, 0.5, y, [1, 0, 2])).toThrow(/perm has length 3, y has a batch of 2/);
      expect(() => mixedLoss(nll, 0.5, y, [1, 1])).toThrow(/perm is not a permutation of 0..1: entry 1 is 1 \(repeated\)/);
      expect(() => mixedLoss(nll, 0.5, y, labels([0, 2]))).toThrow(/perm is not a permutation of 0..1: entry 1 is 2/);
      expect(() => mixedLoss(nll, 0.5, y, np.array([1, 0]))).toThrow(/perm must be int32 \[2\].*float32 \[2\]/);
      expect(() => mixedLoss(nll, 0.5, y, [1, 0])(np.array([[1, 2, 3]]))).toThrow(/logits float32 \[1,3\] do not match the batch of 2/);
      const meanOnly: Loss = (l, t) => nll(l, t);
      expect(() => mixedLoss(meanOnly, np.array([0.5, 0.2]), y, [1, 0])(logits)).toThrow(/a per-example λ needs a loss that returns one value per example \(\[2\]\).*returned float32 \[\]/);
    }));
});

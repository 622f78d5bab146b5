import { Array, grad, np, tidy } from "@mmx/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bceSoftmax, mixedLoss, mse, nll, softCrossEntropy, type Loss } from "./index.js";
import { expectClose } from "./testing-only/close.js";
import { bceSoftmaxRef, finiteDifferenceGrad, meanOf, mseRef, nllRef, oneHotRows, softCrossEntropyRef, type Rows } from "./testing-only/reference.js";

const NUM_RUNS = 40;

/** A small classification batch: float32-representable logits in [-30, 30], labels, a permutation, soft targets. */
const batchArb = fc
  .record({ b: fc.integer({ min: 1, max: 4 }), c: fc.integer({ min: 2, max: 5 }) })
  .chain(({ b, c }) =>
    fc.record({
      logits: fc.array(fc.array(fc.integer({ min: -3000, max: 3000 }).map((v) => Math.fround(v / 100)), { minLength: c, maxLength: c }), { minLength: b, maxLength: b }),
      labels: fc.array(fc.integer({ min: 0, max: c - 1 }), { minLength: b, maxLength: b }),
      perm: fc.shuffledSubarray([...globalThis.Array(b).keys()], { minLength: b, maxLength: b }),
      weights: fc.array(fc.array(fc.integer({ min: 0, max: 100 }), { minLength: c, maxLength: c }), { minLength: b, maxLength: b }),
      lambda: fc.integer({ min: 0, max: 1000 }).map((v) => Math.fround(v / 1000)),
      shift: fc.integer({ min: -5000, max: 5000 }).map((v) => v / 100),
    }),
  )
  .map((s) => ({
    ...s,
    // Rows of non-negative weights normalised to distributions (all-zero rows become uniform), rounded to float32.
    targets: s.weights.map((row) => {
      const total = row.reduce((a, v) => a + v, 0);
      return row.map((v) => Math.fround(total ? v / total : 1 / row.length));
    }),
  }));

const arr = (rows: Rows) => np.array(rows);
const int = (xs: number[]) => np.array(xs, { dtype: "int32" });
const scalar = (x: Array) => x.item();

describe("properties", () => {
  it("softCrossEntropy with one-hot targets (or int32 labels) equals nll", () => {
    fc.assert(
      fc.property(batchArb, (s) =>
        tidy(() => {
          const logits = arr(s.logits);
          const want = scalar(nll(logits, int(s.labels)));
          expect(scalar(softCrossEntropy(logits, int(s.labels)))).toBe(want);
          expectClose(scalar(softCrossEntropy(logits, arr(oneHotRows(s.labels, s.logits[0]!.length)))), want, { rtol: 1e-6, atol: 1e-7 });
        }),
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it("mixedLoss with λ = 1 is the plain loss, with λ = 0 the loss on y[perm]", () => {
    const losses: Loss[] = [softCrossEntropy, bceSoftmax, nll, mse];
    fc.assert(
      fc.property(batchArb, fc.integer({ min: 0, max: 3 }), (s, which) =>
        tidy(() => {
          const loss = losses[which]!;
          const logits = arr(s.logits);
          const y = int(s.labels);
          expect(scalar(mixedLoss(loss, 1, y, s.perm)(logits))).toBe(scalar(loss(logits, y)));
          expect(scalar(mixedLoss(loss, np.array(1), y, s.perm)(logits))).toBe(scalar(loss(logits, y)));
          expect(scalar(mixedLoss(loss, 0, y, s.perm)(logits))).toBe(scalar(loss(logits, int(s.perm.map((p) => s.labels[p]!)))));
        }),
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it("mixing the loss equals the loss of mixed targets (softCrossEntropy and bceSoftmax are affine in the targets)", () => {
    fc.assert(
      fc.property(batchArb, (s) =>
        tidy(() => {
          const logits = arr(s.logits);
          const classes = s.logits[0]!.length;
          const y = oneHotRows(s.labels, classes);
          const mixed = y.map((row, b) => row.map((v, c) => s.lambda * v + (1 - s.lambda) * y[s.perm[b]!]![c]!));
          for (const loss of [softCrossEntropy, bceSoftmax]) {
            const want = scalar(loss(logits, arr(mixed)));
            expectClose(scalar(mixedLoss(loss, s.lambda, int(s.labels), s.perm)(logits)), want, { rtol: 1e-5, atol: 1e-6 });
            // A per-example λ that is the same for every example is the scalar λ.
            const lambdas = np.full([s.labels.length], s.lambda);
            expectClose(scalar(mixedLoss(loss, lambdas, arr(y), s.perm)(logits)), want, { rtol: 1e-5, atol: 1e-6 });
          }
        }),
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it("bceSoftmax >= 0 for targets in [0, 1]", () => {
    fc.assert(
      fc.property(batchArb, (s) =>
        tidy(() => {
          expect(scalar(bceSoftmax(arr(s.logits), arr(s.targets)))).toBeGreaterThanOrEqual(0);
          bceSoftmax(arr(s.logits), int(s.labels), { reduction: "none" }).dataSync().forEach((v) => expect(v).toBeGreaterThanOrEqual(0));
        }),
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it("softmax losses are invariant to adding a constant to a row of logits; mse is not", () => {
    fc.assert(
      fc.property(batchArb, (s) =>
        tidy(() => {
          const logits = arr(s.logits);
          // Shift row 0 only: float32 logits up to 80 in size carry 1e-5 absolute rounding.
          const shifted = arr(s.logits.map((row, b) => row.map((v) => (b === 0 ? Math.fround(v + s.shift) : v))));
          const t = arr(s.targets);
          for (const loss of [softCrossEntropy, bceSoftmax] as Loss[]) {
            expectClose(scalar(loss(shifted, t)), scalar(loss(logits, t)), { rtol: 1e-5, atol: 3e-5 });
          }
          expectClose(scalar(nll(shifted, int(s.labels))), scalar(nll(logits, int(s.labels))), { rtol: 1e-5, atol: 3e-5 });
          if (Math.abs(s.shift) > 0.1) expect(scalar(mse(shifted, t))).not.toBeCloseTo(scalar(mse(logits, t)), 3);
        }),
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it("values and gradients agree with a float64 reference and its central differences", () => {
    fc.assert(
      fc.property(batchArb, (s) =>
        tidy(() => {
          const logits = arr(s.logits);
          const cases: [string, (l: Array) => Array, (x: Rows) => number][] = [
            ["softCrossEntropy", (l) => softCrossEntropy(l, arr(s.targets)), (x) => softCrossEntropyRef(x, s.targets)],
            ["bceSoftmax", (l) => bceSoftmax(l, arr(s.targets)), (x) => meanOf(bceSoftmaxRef(x, s.targets))],
            ["nll", (l) => nll(l, int(s.labels)), (x) => nllRef(x, s.labels)],
            ["mse", (l) => mse(l, arr(s.targets)), (x) => meanOf(mseRef(x, s.targets))],
          ];
          for (const [name, f, ref] of cases) {
            // float32 sums of a few terms of size <= 60 (or 900 for mse): 1e-6 relative plus a few ulps of 60.
            expectClose(scalar(f(logits)), ref(s.logits), { rtol: 2e-6, atol: 2e-5, what: `${name} value` });
            // Central differences of the float64 reference are accurate to ~1e-8; the float32 gradient
            // to ~1e-7 of its scale (probabilities, or |pred - target| <= 31 for mse).
            const g = (grad(f)(logits) as Array).dataSync();
            expectClose(g, finiteDifferenceGrad(ref, s.logits).flat(), { rtol: 1e-4, atol: 1e-6, what: `${name} gradient` });
          }
        }),
      ),
      { numRuns: NUM_RUNS },
    );
  });
});

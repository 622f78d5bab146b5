import { expect } from "vitest";

/**
 * Element-wise |a - b| <= atol + rtol·|b|; fails naming the first offending index and both values,
 * so a mismatch reads as a diagnosis rather than a boolean.
 */
export function expectAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, { rtol = 1e-4, atol = 1e-5, what = "values" } = {}): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const a = Number(actual[i]);
    const b = Number(expected[i]);
    if (a === b || (Number.isNaN(a) && Number.isNaN(b))) continue;
    if (!(Math.abs(a - b) <= atol + rtol * Math.abs(b))) {
      expect.fail(`${what}: index ${i}: ${a} vs expected ${b} (|diff| ${Math.abs(a - b)} > ${atol} + ${rtol}·|expected|)`);
    }
  }
}

/** The largest |a - b| / (atol + |b|): a single number to report how close two runs are. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>, atol = 1e-6): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(Number(a[i]) - Number(b[i])) / (atol + Math.abs(Number(b[i]))));
  return worst;
}

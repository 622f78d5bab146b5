import { expect } from "vitest";

/**
 * Element-wise |a - b| <= atol + rtol·|b| over two equally shaped value lists; fails naming the first
 * offending index and both values, so a mismatch reads as a diagnosis rather than a boolean.
 */
export function expectAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, { rtol = 1e-4, atol = 1e-5, what = "values" } = {}): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const a = Number(actual[i]);
    const b = Number(expected[i]);
    if (Number.isNaN(a) && Number.isNaN(b)) continue;
    if (a === b) continue; // also covers equal infinities
    const ok = Math.abs(a - b) <= atol + rtol * Math.abs(b);
    if (!ok) {
      expect.fail(`${what}: index ${i}: ${a} vs expected ${b} (|diff| ${Math.abs(a - b)} > ${atol} + ${rtol}·|expected|)`);
    }
  }
}

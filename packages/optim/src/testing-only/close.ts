import { expect } from "vitest";

/**
 * |actual - expected| <= atol + rtol·|expected| elementwise; fails naming the first offending index
 * and both values.
 */
export function expectClose(actual: ArrayLike<number> | number, expected: ArrayLike<number> | number, { rtol = 1e-6, atol = 0, what = "values" } = {}): void {
  const a = typeof actual === "number" ? [actual] : actual;
  const e = typeof expected === "number" ? [expected] : expected;
  expect(a.length, `${what}: length`).toBe(e.length);
  for (let i = 0; i < a.length; i++) {
    const x = Number(a[i]);
    const y = Number(e[i]);
    if (x === y || (Number.isNaN(x) && Number.isNaN(y))) continue;
    if (!(Math.abs(x - y) <= atol + rtol * Math.abs(y))) {
      expect.fail(`${what}: index ${i}: ${x} vs expected ${y} (|diff| ${Math.abs(x - y)} > ${atol} + ${rtol}·|expected|)`);
    }
  }
}

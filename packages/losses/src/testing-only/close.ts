import { assertAllClose, type Tolerance } from "@mmx/testing";

/** @mmx/testing's closeness check with this package's default tolerance (rtol 1e-5, atol 1e-7). */
export function expectClose(actual: ArrayLike<number> | number, expected: ArrayLike<number> | number, tol: Tolerance & { what?: string } = {}): void {
  assertAllClose(actual, expected, { rtol: 1e-5, atol: 1e-7, ...tol });
}

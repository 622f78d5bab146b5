/**
 * Element-wise closeness |a − b| <= atol + rtol·|b|. `allCloseReport` says where and by how much two
 * value lists differ (or null when they agree); `assertAllClose` throws that report.
 */
export interface Tolerance {
  rtol?: number;
  atol?: number;
}

export function allCloseReport(actual: ArrayLike<number>, expected: ArrayLike<number>, { rtol = 1e-5, atol = 1e-6 }: Tolerance = {}): string | null {
  if (actual.length !== expected.length) return `lengths differ: ${actual.length} vs ${expected.length}`;
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = Number(actual[i]);
    const b = Number(expected[i]);
    if (a === b || (Number.isNaN(a) && Number.isNaN(b))) continue;
    const excess = Math.abs(a - b) - (atol + rtol * Math.abs(b));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst < 0) return null;
  const a = Number(actual[worst]);
  const b = Number(expected[worst]);
  return `index ${worst}: ${a} vs ${b} (|diff| ${Math.abs(a - b)} > ${atol} + ${rtol}·|expected|)`;
}

export function assertAllClose(actual: ArrayLike<number> | number, expected: ArrayLike<number> | number, tol: Tolerance & { what?: string } = {}): void {
  const list = (v: ArrayLike<number> | number) => (typeof v === "number" ? [v] : v);
  const report = allCloseReport(list(actual), list(expected), tol);
  if (report) throw new Error(`${tol.what ?? "values"} are not close: ${report}`);
}

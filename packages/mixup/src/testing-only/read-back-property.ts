import fc from "fast-check";
import { tidy } from "@mmx/core";
import { readTree, type Read } from "@mmx/testing";
import { it } from "vitest";

/**
 * A property test for the backend-matrix suites: for each drawn case, `compute` builds its arrays in one tidy,
 * they are read back with `await data()` (webgpu has no synchronous read in Node), and `check` sees the values.
 */
export function readBackProperty<C, R>(name: string, arb: fc.Arbitrary<C>, compute: (c: C) => R, check: (v: Read<R>, c: C) => void, params: fc.Parameters<[C]>): void {
  it(name, async () => {
    await fc.assert(
      fc.asyncProperty(arb, async (c) => {
        check(await readTree(tidy(() => compute(c))), c);
      }),
      params,
    );
  });
}

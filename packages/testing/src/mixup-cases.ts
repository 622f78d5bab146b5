import fc from "fast-check";
import { np, type Array } from "@mmx/core";
import type * as nn from "@mmx/nn";
import { inputFor, permutationOf, randomModel, type RandomModel } from "./models.js";

/**
 * One draw for a mixup property: a random model, a seed for its params and data, a boundary k before
 * its head, λ and a permutation of the batch. Shared by the invariant suites of every backend.
 */
export interface MixupCase {
  rm: RandomModel;
  seed: number;
  k: number;
  lambda: number;
  perm: number[];
}

export const mixupCase = (models = randomModel(), perm: (n: number) => fc.Arbitrary<number[]> = permutationOf): fc.Arbitrary<MixupCase> =>
  models.chain((rm) =>
    fc.record({
      rm: fc.constant(rm),
      seed: fc.integer({ min: 1, max: 1e9 }),
      k: fc.integer({ min: 0, max: rm.mixableBoundaries - 1 }),
      lambda: fc.float({ min: 0, max: 1, noNaN: true }),
      perm: perm(rm.inputShape[0]!),
    }),
  );

/** The arrays of a case: params, inputs, int32 labels, and the model as a plain function. */
export function mixupCaseData(c: MixupCase) {
  const params = c.rm.init(c.seed);
  const x = inputFor(c.rm.inputShape, c.seed);
  const batch = c.rm.inputShape[0]!;
  const y = np.array(
    globalThis.Array.from({ length: batch }, (_, i) => (i * 7 + c.seed) % c.rm.numClasses),
    { dtype: "int32" },
  );
  return { params, x, y, f: (p: nn.ParamTree, xs: Array) => c.rm.apply(p, xs) };
}

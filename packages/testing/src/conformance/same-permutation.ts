import { gatherRows, oneHotRows, row, values, expectClose } from "./read.js";
import { ConformanceFailure, type ConformanceCheck } from "./types.js";

/**
 * Features and labels are paired by the same permutation. At λ = 0 the mixed batch is the partner batch
 * itself, so row i of the output must be the clean output's row perm[i] (a model that treats examples
 * independently after the boundary) and row i of the targets one-hot(y[perm[i]]). A transform that
 * permutes the labels with another permutation (or the inverse one) fails here.
 */
export const samePermutation: ConformanceCheck = {
  name: "same-permutation",
  description: "at λ = 0, the output and the targets are the clean ones permuted by the same perm",
  async run(ctx) {
    const { out, targets } = ctx.mixed(0);
    const [mixedOut, mixedTargets, clean, labels] = await Promise.all([values(out), values(targets), values(ctx.plain()), values(ctx.y)]);
    const expected = oneHotRows(ctx.perm.map((j) => labels[j]!), ctx.classes);
    for (let i = 0; i < ctx.batch; i++) {
      const got = row(mixedTargets, ctx.batch, i);
      const want = row(expected, ctx.batch, i);
      if (got.some((v, j) => Math.abs(v - want[j]!) > ctx.tolerance.atol)) {
        const partner = ctx.perm[i]!;
        throw new ConformanceFailure(`targets row ${i} at λ = 0 is [${got.map((v) => +v.toFixed(4)).join(", ")}], expected one-hot of y[perm[${i}]] = y[${partner}] = ${labels[partner]}: the labels are not paired by the features' permutation`);
      }
    }
    expectClose(ctx, mixedOut, gatherRows(clean, ctx.batch, ctx.perm), "output at λ = 0 is not the clean output permuted by perm");
  },
};

import { np } from "@mmx/core";
import { expectClose, gatherRows, row, values } from "./read.js";
import type { ConformanceCheck } from "./types.js";

/**
 * Mixing at a cut mixes every value that crosses it (a residual block's skip path too), so it equals running the
 * prefix on both batches and mixing each crossing value by hand. Two consequences checked without splitting the
 * model: at λ = 0 the output is the clean output permuted by perm at every boundary, inside residual blocks too
 * (mixing the tag alone leaves the skip path unmixed and fails here); and mixing a batch with its partners equals
 * mixing the first half of [x; x[perm]] with the second (the prefix ran on both batches: rows agree).
 */
export const cutPoint: ConformanceCheck = {
  name: "cut-point",
  description: "mixing at a cut: λ = 0 gives the permuted clean output at every boundary, and equals mixing [x; x[perm]] half with half",
  applies: (s) => (s.supports?.cutPoints ? undefined : "the transform is not declared to mix at cuts (supports.cutPoints)"),
  async run(ctx) {
    const cut = { at: "cut" } as const;
    const [swapped, clean] = await Promise.all([values(ctx.mixed(0, undefined, cut).out), values(ctx.plain())]);
    expectClose(ctx, swapped, gatherRows(clean, ctx.batch, ctx.perm), "at λ = 0 the output mixed at the cut is not the clean output permuted by perm (a value crossing the cut was not mixed)");
    const lambda = 0.3;
    const mixed = await values(ctx.mixed(lambda, undefined, cut).out);
    const B = ctx.batch;
    const doubled = np.concatenate([ctx.x, np.take(ctx.x, [...ctx.perm], 0)], 0);
    const doubledY = np.concatenate([ctx.y, np.take(ctx.y, [...ctx.perm], 0)], 0);
    const halves = globalThis.Array.from({ length: 2 * B }, (_, i) => (i + B) % (2 * B));
    const two = ctx.subject.mixup(ctx.layer, lambda, cut)(ctx.subject.model)(ctx.params, doubled, doubledY, halves);
    const first = await values(two.out);
    for (let i = 0; i < B; i++) {
      expectClose(ctx, row(mixed, B, i), row(first, 2 * B, i), `row ${i} mixed at the cut with its partner differs from the same row of [x; x[perm]] mixed half with half`);
    }
  },
};

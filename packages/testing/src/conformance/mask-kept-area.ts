import { np } from "@mmx/core";
import { expectClose, gatherRows, oneHotRows, outOf, row, values } from "./read.js";
import type { ConformanceCheck } from "./types.js";

/**
 * Mask mixing weights the targets by the kept area, exactly: with a mask m of 0s and 1s at the boundary
 * (example i keeps a different fraction of its own values), row i of the targets is
 * a_i·one-hot(y_i) + (1 − a_i)·one-hot(y[perm[i]]) for a_i the mean of m_i; at the input the output is the
 * model on m ⊙ x + (1 − m) ⊙ x[perm], computed here by hand.
 */
export const maskKeptArea: ConformanceCheck = {
  name: "mask-kept-area",
  description: "with a 0/1 mask, the targets are weighted by each example's kept area; at the input the output is the model on the masked batch",
  applies: (s) => (s.supports?.masks ? undefined : "the transform is not declared to take masks (supports.masks)"),
  async run(ctx) {
    if (!ctx.shape) throw new Error(`the shape of boundary ${ctx.layer} is unknown (the transform lists no boundaries); give a transform with \`boundaries\``);
    const shape = [ctx.batch, ...ctx.shape.slice(1)];
    const width = shape.slice(1).reduce((a, b) => a * b, 1);
    // Example i keeps the positions j with (j + i) mod (i + 2) != 0: a fraction near (i + 1)/(i + 2), different per example.
    const bits = Float32Array.from({ length: ctx.batch * width }, (_, k) => {
      const i = Math.floor(k / width);
      return (k % width + i) % (i + 2) === 0 ? 0 : 1;
    });
    const mask = np.array(bits, { shape });
    const { out, targets } = ctx.mixed({ kind: "mask", mask });
    const [mixedTargets, labels] = await Promise.all([values(targets), values(ctx.y)]);
    const kept = globalThis.Array.from({ length: ctx.batch }, (_, i) => row([...bits], ctx.batch, i).reduce((a, b) => a + b, 0) / width);
    const own = oneHotRows(labels, ctx.classes);
    const partner = gatherRows(own, ctx.batch, ctx.perm);
    const expected = own.map((v, k) => kept[Math.floor(k / ctx.classes)]! * v + (1 - kept[Math.floor(k / ctx.classes)]!) * partner[k]!);
    expectClose(ctx, mixedTargets, expected, `targets are not weighted by the kept area (example 0 keeps ${kept[0]!.toFixed(4)} of its values)`);
    if (ctx.layer === 0 || ctx.layer === "input") {
      const byHand = ctx.subject.model(ctx.params, np.add(np.mul(ctx.x, mask), np.mul(np.take(ctx.x, [...ctx.perm], 0), np.sub(1, mask))));
      expectClose(ctx, await values(out), await values(outOf(byHand)), "output at the input is not the model on m ⊙ x + (1 − m) ⊙ x[perm]");
    }
  },
};

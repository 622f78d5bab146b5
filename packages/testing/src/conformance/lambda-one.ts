import { oneHotRows, values, expectClose } from "./read.js";
import type { ConformanceCheck } from "./types.js";

/** λ = 1 keeps every example itself: the output is the model's own and the targets the one-hot labels. */
export const lambdaOneIdentity: ConformanceCheck = {
  name: "lambda-one-identity",
  description: "at λ = 1, the output is the clean output and the targets are one-hot(y)",
  async run(ctx) {
    const { out, targets } = ctx.mixed(1);
    const [mixedOut, mixedTargets, clean, labels] = await Promise.all([values(out), values(targets), values(ctx.plain()), values(ctx.y)]);
    expectClose(ctx, mixedOut, clean, "output at λ = 1 differs from the clean output");
    expectClose(ctx, mixedTargets, oneHotRows(labels, ctx.classes), "targets at λ = 1 differ from one-hot(y)");
  },
};

import { np } from "@mmx/core";
import { row, values, expectClose } from "./read.js";
import type { ConformanceCheck } from "./types.js";

/**
 * One λ per example ([B]) is the per-example path: row i of the batch mixed with λ = [λ_0 … λ_{B−1}]
 * equals row i of the batch mixed with the scalar λ_i, for the output and the targets.
 */
export const perExampleLambda: ConformanceCheck = {
  name: "per-example-lambda",
  description: "mixing with λ[B] gives, row by row, what mixing with each scalar λ_i gives",
  async run(ctx) {
    // Distinct values in (0, 1), none 0.5 (where a swapped λ and 1 − λ would not show).
    const lambdas = globalThis.Array.from({ length: ctx.batch }, (_, i) => (i + 0.3) / (ctx.batch + 0.1));
    const vector = ctx.mixed(np.array(lambdas, { shape: [ctx.batch] }));
    const [out, targets] = await Promise.all([values(vector.out), values(vector.targets)]);
    for (let i = 0; i < ctx.batch; i++) {
      const scalar = ctx.mixed(lambdas[i]!);
      const [o, t] = await Promise.all([values(scalar.out), values(scalar.targets)]);
      expectClose(ctx, row(out, ctx.batch, i), row(o, ctx.batch, i), `output row ${i} with λ[B] differs from the scalar λ = ${lambdas[i]!.toFixed(4)} path`);
      expectClose(ctx, row(targets, ctx.batch, i), row(t, ctx.batch, i), `targets row ${i} with λ[B] differ from the scalar λ = ${lambdas[i]!.toFixed(4)} path`);
    }
  },
};

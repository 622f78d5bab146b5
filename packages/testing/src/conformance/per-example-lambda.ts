import { np, vmap, type Array } from "@mmx/core";
import { row, values, expectClose } from "./read.js";
import type { ConformanceCheck } from "./types.js";

/**
 * One λ per example ([B]) is the per-example path: row i of the batch mixed with λ = [λ_0 … λ_{B−1}] equals
 * row i of the batch mixed with the scalar λ_i, for the output and the targets. The scalar runs are one program:
 * `vmap` over λ gives every [B, …] result at once, and its diagonal is compared; a transform that vmap cannot
 * trace through is run once per λ_i instead (the result says so).
 */
export const perExampleLambda: ConformanceCheck = {
  name: "per-example-lambda",
  description: "mixing with λ[B] gives, row by row, what mixing with each scalar λ_i gives (vmap over λ)",
  async run(ctx) {
    // Distinct values in (0, 1), none 0.5 (where a swapped λ and 1 − λ would not show).
    const lambdas = globalThis.Array.from({ length: ctx.batch }, (_, i) => (i + 0.3) / (ctx.batch + 0.1));
    const vector = ctx.mixed(np.array(lambdas, { shape: [ctx.batch] }));
    const [out, targets] = await Promise.all([values(vector.out), values(vector.targets)]);
    let scalar: (i: number) => Promise<[number[], number[]]>;
    let note: string | undefined;
    try {
      const both = vmap((lam: Array) => {
        const r = ctx.mixed(lam);
        return [r.out, r.targets];
      })(np.array(lambdas, { shape: [ctx.batch] })) as [Array, Array];
      const [o, t] = await Promise.all([values(both[0]), values(both[1])]);
      // Result j of the vmap is the whole batch mixed with λ_j: its row j is example j's per-example value.
      scalar = async (i) => [row(row(o, ctx.batch, i), ctx.batch, i), row(row(t, ctx.batch, i), ctx.batch, i)];
    } catch (e) {
      note = `vmap over λ failed (${(e as Error).message.split("\n")[0]}); compared with one run per λ_i`;
      scalar = async (i) => {
        const r = ctx.mixed(lambdas[i]!);
        const [o, t] = await Promise.all([values(r.out), values(r.targets)]);
        return [row(o, ctx.batch, i), row(t, ctx.batch, i)];
      };
    }
    for (let i = 0; i < ctx.batch; i++) {
      const [o, t] = await scalar(i);
      expectClose(ctx, row(out, ctx.batch, i), o, `output row ${i} with λ[B] differs from the scalar λ = ${lambdas[i]!.toFixed(4)} path`);
      expectClose(ctx, row(targets, ctx.batch, i), t, `targets row ${i} with λ[B] differ from the scalar λ = ${lambdas[i]!.toFixed(4)} path`);
    }
    return note;
  },
};

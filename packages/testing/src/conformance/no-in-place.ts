import { Array, dispose, tree } from "@mmx/core";
import { values } from "./read.js";
import { ConformanceFailure, type ConformanceCheck } from "./types.js";

/**
 * The transform consumes nothing and returns fresh arrays: after a call every input (params, x, y and the
 * permutation) holds its old values; no output is one of the inputs; and disposing the outputs leaves every
 * input readable (an output sharing an input's buffer would take it along).
 */
export const noInPlaceReuse: ConformanceCheck = {
  name: "no-in-place-reuse",
  description: "inputs unchanged after a call, outputs are not inputs, and freeing outputs frees no input",
  async run(ctx) {
    const inputs: [string, Array][] = [
      ...tree.leaves(ctx.params).flatMap((l, i) => (l instanceof Array ? [[`params leaf ${i}`, l] as [string, Array]] : [])),
      ["x", ctx.x],
      ["y", ctx.y],
    ];
    const read = async () => Promise.all(inputs.map(async ([, a]) => values(a)));
    const before = await read();
    const perm = [...ctx.perm];
    const { out, targets } = ctx.mixed(0.3, perm);
    for (const [name, a] of inputs) {
      if (out === a) throw new ConformanceFailure(`the output is the input ${name} itself`);
      if (targets === a) throw new ConformanceFailure(`the targets are the input ${name} itself`);
    }
    if (perm.some((p, i) => p !== ctx.perm[i])) throw new ConformanceFailure(`the permutation passed in was changed to [${perm.join(",")}]`);
    const unchanged = (after: number[][], when: string) =>
      inputs.forEach(([name], k) => {
        const i = after[k]!.findIndex((v, j) => !Object.is(v, before[k]![j]));
        if (i >= 0) throw new ConformanceFailure(`${name} changed ${when}: element ${i} was ${before[k]![i]}, is ${after[k]![i]}`);
      });
    const readOr = async (why: string) => {
      try {
        return await read();
      } catch (e) {
        throw new ConformanceFailure(`${why}: ${(e as Error).message.split("\n")[0]}`);
      }
    };
    unchanged(await readOr("an input could not be read after the call (the call consumed it)"), "during the call");
    await Promise.all([values(out), values(targets)]);
    dispose([out, targets]);
    unchanged(await readOr("an input could not be read once the outputs were disposed (an output shared its buffer)"), "when the outputs were disposed");
  },
};

import { Array, tree, type PyTree } from "@mmx/core";
import { UsageError } from "./errors.js";

/**
 * Checks that arrays read from a checkpoint fit the model: the same trees (params, optimizer state,
 * model state) with the same shapes and dtypes as a freshly initialised one.
 */
export function checkParamsFit(expected: { params: PyTree; opt: PyTree; modelState: PyTree }, got: { params: PyTree; opt: PyTree; modelState: PyTree }, source: string): void {
  for (const part of ["params", "opt", "modelState"] as const) {
    const diff = tree.firstDifference(tree.structure(expected[part]), tree.structure(got[part]), part);
    if (diff !== null) throw new UsageError(`${source}: its ${part} do not fit the model of its config (they differ at ${diff})`);
    const [want, wantDef] = tree.flatten(expected[part]);
    const have = tree.leaves(got[part]);
    const paths = tree.leafPaths(wantDef, part);
    want.forEach((w, i) => {
      const h = have[i];
      if (!(w instanceof Array) || !(h instanceof Array)) return;
      if (w.dtype !== h.dtype || w.shape.length !== h.shape.length || w.shape.some((d, j) => d !== h.shape[j])) {
        throw new UsageError(`${source}: ${paths[i]} is ${h.dtype} [${h.shape.join(",")}], but the model of its config needs ${w.dtype} [${w.shape.join(",")}]`);
      }
    });
  }
}

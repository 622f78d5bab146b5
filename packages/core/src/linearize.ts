import { jit } from "./jit.js";
import { jvp } from "./jvp.js";
import type { PyTree } from "./tree.js";

/**
 * `linearize(f, ...primals)`: `[f(...primals), jvpAt]`, where `jvpAt(...tangents)` is the tangent of f's output
 * at `primals` along `tangents` (each like its primal): the linear map of f at that point, as a function.
 * The map is one jitted jvp program with the primals as its constants, compiled on the first call and run
 * as is on each later one (it recomputes the residuals it needs rather than storing them). It reads the
 * primals when called: keep them alive while it is used.
 */
export function linearize(f: (...args: any[]) => PyTree, ...primals: PyTree[]): [any, (...tangents: PyTree[]) => any] {
  const out = f(...primals);
  const jvpAt = jit((...tangents: PyTree[]) => jvp(f, primals, tangents)[1]);
  return [out, jvpAt];
}

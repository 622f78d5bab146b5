import { Array, dce, evalJaxpr, Jaxpr } from "@mmx/core";
import { boundariesOf, resolveBoundary, type BoundaryRef } from "./boundaries.js";
import { traceModel } from "./trace-model.js";

/**
 * `capture(k)(f)`: a function with f's arguments that returns the value at boundary k (0 = the input,
 * i >= 1 = the i-th tag, or a tag's name) instead of f's output: the features of any model without
 * editing it. Only the part of f up to boundary k is evaluated.
 */
export function capture(layer: BoundaryRef): (f: (params: any, x: Array, ...rest: any[]) => unknown) => (params: any, x: Array, ...rest: any[]) => Array {
  return (f) =>
    (params, x, ...rest) => {
      const model = traceModel("capture", f, [params, x, ...rest]);
      const k = resolveBoundary("capture", layer, boundariesOf(model));
      if (k === 0) return x;
      const { jaxpr, consts } = model.closed;
      const upTo = dce(new Jaxpr(jaxpr.constVars, jaxpr.inBinders, jaxpr.eqns, [model.tags[k - 1]!.out]));
      return evalJaxpr(upTo, model.inputs, { consts })[0]!;
    };
}

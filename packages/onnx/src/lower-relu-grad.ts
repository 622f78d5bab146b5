import { shapeEqual } from "@mmx/core";
import type { GraphBuilder, Value } from "./graph-builder.js";
import { toNHWC } from "./layout.js";

/**
 * How a ReLU's gradient `where(y > 0, g, g · y)` (y the ReLU's output, the VJP rule's form) is lowered:
 * `where` as written (Greater, Mul, Where), or `sign` as g · sign(y), equal everywhere for a ReLU output
 * (y > 0 gives g, y = 0 gives g · 0, a NaN y gives NaN) in two nodes.
 */
export type ReluGradStrategy = "where" | "sign";
export interface ReluLoweringOptions {
  readonly reluGrad: ReluGradStrategy;
}
export const DEFAULT_RELU_OPTIONS: ReluLoweringOptions = { reluGrad: "where" };

/** The gradient on the NCHW twins of g and y when both have one (a conv's output and its cotangent), else as given. */
export function lowerReluGrad(b: GraphBuilder, g: Value, y: Value, opts: ReluLoweringOptions): string {
  const twins = g.aval.ndim === 4 && shapeEqual(g.aval.shape, y.aval.shape) ? [b.nchwOf.get(g.name), b.nchwOf.get(y.name)] : [];
  const onNCHW = twins.length === 2 && twins[0] !== undefined && twins[1] !== undefined;
  const [gn, yn] = onNCHW ? (twins as [string, string]) : [g.name, y.name];
  const out =
    opts.reluGrad === "sign"
      ? b.op("Mul", [gn, b.op("Sign", [yn])])
      : b.op("Where", [b.op("Greater", [yn, b.scalar(0, y.aval.dtype)]), gn, b.op("Mul", [gn, yn])]);
  return onNCHW ? toNHWC(b, out) : out;
}

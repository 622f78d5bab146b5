import { np } from "@mmx/core";
import { uniform } from "@mmx/random";
import { ParamSpec } from "./spec.js";

/**
 * PyTorch's default for Linear and Conv weights and biases: kaiming_uniform with a = sqrt(5), which
 * is U(-1/sqrt(fanIn), 1/sqrt(fanIn)); fanIn = inputs per output (in features, or in channels times
 * the kernel area).
 */
export function torchUniform(shape: readonly number[], fanIn: number): ParamSpec {
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return new ParamSpec(shape, (key, s) => uniform(key, s, { min: -bound, max: bound }));
}

/** A parameter or statistic that starts at a constant (batch-norm weight 1, bias 0, running stats). */
export function constant(shape: readonly number[], value: number): ParamSpec {
  return new ParamSpec(shape, (_key, s) => np.full(s, value), true);
}

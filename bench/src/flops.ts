import type { Eqn, Jaxpr } from "@mmx/core";

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * The floating-point operations of a step's dense kernels, counted from its jaxpr: 2·M·N·K per matmul,
 * 2·(output elements)·KH·KW·Cin per convolution and per each of its two adjoints. Elementwise work is
 * left out, as it is in the usual "model FLOPs". The same count serves every implementation of a
 * workload, since they all compute the same forward, backward and update.
 */
export function denseFlops(jaxpr: Jaxpr): number {
  let flops = 0;
  for (const eqn of jaxpr.eqns) flops += eqnFlops(eqn);
  return flops;
}

function eqnFlops(eqn: Eqn): number {
  switch (eqn.primitive) {
    case "matmul": {
      const a = eqn.inputs[0]!.aval.shape;
      const { transposeA } = eqn.params as { transposeA: boolean };
      const k = transposeA ? a[a.length - 2]! : a[a.length - 1]!;
      return 2 * size(eqn.out.aval.shape) * k;
    }
    case "conv": {
      const [kh, kw, ci] = eqn.inputs[1]!.aval.shape as [number, number, number];
      return 2 * size(eqn.out.aval.shape) * kh * kw * ci;
    }
    case "conv_transpose": {
      // inputs: the cotangent of the conv's output, the filter.
      const [kh, kw, ci] = eqn.inputs[1]!.aval.shape as [number, number, number];
      return 2 * size(eqn.inputs[0]!.aval.shape) * kh * kw * ci;
    }
    case "conv_filter_grad": {
      // inputs: the conv's input, the cotangent of its output.
      const [kh, kw, ci] = (eqn.params as { filterShape: readonly number[] }).filterShape as [number, number, number];
      return 2 * size(eqn.inputs[1]!.aval.shape) * kh * kw * ci;
    }
    default:
      return 0;
  }
}

/** The count by primitive, for the report. */
export function flopsByPrimitive(jaxpr: Jaxpr): Record<string, number> {
  const out: Record<string, number> = {};
  for (const eqn of jaxpr.eqns) {
    const f = eqnFlops(eqn);
    if (f > 0) out[eqn.primitive] = (out[eqn.primitive] ?? 0) + f;
  }
  return out;
}

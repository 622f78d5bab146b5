import { boundariesOf as programBoundaries, describeBoundaries, resolveBoundary, type Array, type Boundary, type BoundaryRef } from "@mmx/core";
import { batchRoles } from "./batch-roles.js";
import { crossingValue, type CrossingValue } from "./crossing.js";
import { placedCut } from "./mix-at.js";
import type { TracedModel } from "./trace-model.js";
import { traceModel } from "./trace-model.js";

export { describeBoundaries, resolveBoundary, type Boundary, type BoundaryRef };

/** A boundary as mixup lists it: core's boundary, with what cut-point mixing there interpolates and leaves. */
export interface MixupBoundary extends Boundary {
  /** The per-example values that cross the boundary's cut: what `mixup(k, λ)` (at: "cut") mixes. */
  readonly mixes: readonly CrossingValue[];
  /** Batch statistics computed before the cut and used after it (a boundary inside a batch norm): used unmixed. */
  readonly statistics: readonly CrossingValue[];
  /** Values crossing that cannot be interpolated (cut mixing here is an error that names them), with why. */
  readonly blocked: readonly (CrossingValue & { readonly reason: string })[];
}

export function boundariesOf(model: TracedModel): Boundary[] {
  return programBoundaries(model.closed.jaxpr, model.xInput);
}

/**
 * Lists the boundaries of `f(params, x, ...rest)` for these example arguments, by tracing it: index, name
 * and shape, and for each the values its cut mixes (their shapes, the equation and scope that made them).
 */
export function boundaries(f: (params: any, x: Array, ...rest: any[]) => unknown, ...exampleArgs: unknown[]): MixupBoundary[] {
  const model = traceModel("boundaries", f, exampleArgs);
  const roles = batchRoles(model.closed.jaxpr, model.xInput);
  return boundariesOf(model).map((b) => {
    const cut = placedCut("boundaries", model, b.index, { at: "cut", bn: "mixed" }, roles);
    return {
      ...b,
      mixes: cut.mixed.map((m) => crossingValue(model, m.v)),
      statistics: cut.statistics.map((v) => crossingValue(model, v)),
      blocked: cut.blocked.map(({ v, reason }) => ({ ...crossingValue(model, v), reason })),
    };
  });
}

/** One line per boundary: "2 body.a [4,8]: mixes tag body.a [4,8], x [4,8]". */
export function describeCuts(list: readonly MixupBoundary[]): string {
  const value = (c: CrossingValue) => `${c.madeBy}${c.scope ? ` (${c.scope})` : ""} [${c.shape.join(",")}]`;
  return list
    .map((b) => {
      const parts = [`mixes ${b.mixes.map(value).join(", ") || "nothing"}`];
      if (b.statistics.length > 0) parts.push(`keeps the statistics ${b.statistics.map(value).join(", ")}`);
      if (b.blocked.length > 0) parts.push(`cannot mix ${b.blocked.map((c) => `${value(c)}: ${c.reason}`).join("; ")}`);
      return `${b.index} ${b.name} [${b.shape.join(",")}]: ${parts.join("; ")}`;
    })
    .join("\n");
}

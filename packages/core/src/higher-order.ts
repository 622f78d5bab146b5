import type { Array } from "./array.js";
import type { Jaxpr } from "./jaxpr.js";

/**
 * Primitives whose parameters hold a program and that bind several results: control flow. They are kept
 * out of `PrimitiveParams` (whose rule tables map operands to one result) and have their own equation
 * form (`Eqn.outs`) and rules (scan-rules.ts); every interpreter of a jaxpr handles them by name, and the
 * compiler makes it: `EqnPrimitive` does not index the single-result tables.
 */
export interface HigherOrderParams {
  scan: ScanParams;
  custom_vjp: CustomVjpParams;
}
export type HigherOrderPrimitive = keyof HigherOrderParams;

/** Every higher-order primitive (typed: one added to `HigherOrderParams` must be listed). */
export const HIGHER_ORDER_PRIMITIVES: ReadonlySet<string> = new Set(Object.keys({ scan: true, custom_vjp: true } satisfies { [P in HigherOrderPrimitive]: true }));

/**
 * `scan`: runs `body` `length` times, threading a carry. Operands are `[consts..., init carry..., xs...]`, each
 * x with a leading axis of `length`; results are `[final carry..., ys...]`, each y stacked on a leading axis of
 * `length`. The body is closed: its invars are `[consts..., carry..., x slices...]` and its outputs
 * `[carry..., y slices...]`, with no constvars of its own (the values it closed over are the leading operands).
 */
export interface ScanParams {
  readonly body: Jaxpr;
  readonly numConsts: number;
  readonly numCarry: number;
  readonly length: number;
  /** Walk the xs from the last to the first (ys are still stored at their own index). */
  readonly reverse: boolean;
}

/**
 * `custom_vjp`: `body` (f, closed: invars `[consts..., args...]`) evaluated as is by every transform but grad,
 * which runs `fwd` instead (f's outputs and residuals, from the args) and takes the args' cotangents from `bwd`.
 * The constants are what f closed over; they get no cotangent (differentiating them is an error).
 */
export interface CustomVjpParams {
  readonly body: Jaxpr;
  readonly numConsts: number;
  /** f's flat outputs followed by the flat residuals, from the flat args. */
  readonly fwd: (args: readonly Array[]) => { outs: Array[]; residuals: Array[] };
  /** The flat args' cotangents (null: zero) from the residuals and the flat outputs' cotangents. */
  readonly bwd: (residuals: readonly Array[], cts: readonly Array[]) => (Array | null)[];
  /** The name the user gave f (for printing and errors). */
  readonly name: string;
}

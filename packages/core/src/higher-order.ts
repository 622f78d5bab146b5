import type { Jaxpr } from "./jaxpr.js";

/**
 * Primitives whose parameters hold a program and that bind several results: control flow. They are kept
 * out of `PrimitiveParams` (whose rule tables map operands to one result) and have their own equation
 * form (`Eqn.outs`) and rules (scan-rules.ts); every interpreter of a jaxpr handles them by name, and the
 * compiler makes it: `EqnPrimitive` does not index the single-result tables.
 */
export interface HigherOrderParams {
  scan: ScanParams;
}
export type HigherOrderPrimitive = keyof HigherOrderParams;

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

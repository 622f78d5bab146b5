import type { Eqn, Var } from "@mmx/core";

/**
 * Every variable an equation binds: its `out`, or all of `outs` for a primitive with several results (a
 * higher-order primitive such as a scan). The analyses here read equations through this, so that such
 * equations are never half-seen.
 */
export function resultsOf(eqn: Eqn): readonly Var[] {
  return (eqn as { readonly outs?: readonly Var[] }).outs ?? [eqn.out];
}

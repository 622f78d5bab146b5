import { printJaxpr, type ClosedJaxpr } from "./jaxpr.js";
import { dce } from "./passes.js";
import { leafPaths } from "./tree.js";

export interface PrettyJaxprOptions {
  /**
   * Names of the traced function's arguments, in order: an input is named by its argument and its path in it
   * (`p.w1`, `p.layers[0].w`, `x`). Arguments without a name are `arg0`, `arg1`, ...
   */
  argNames?: readonly string[];
  /** Keep equations no output needs (default false: they are dropped, as every executor drops them). */
  keepDead?: boolean;
}

/**
 * A closed jaxpr as a reader wants it: inputs named by where they come from in the arguments, and only the
 * equations that compute an output. `toString()` prints the program as traced (letters, dead code kept).
 */
export function prettyJaxpr(closed: ClosedJaxpr, opts: PrettyJaxprOptions = {}): string {
  const jaxpr = opts.keepDead ? closed.jaxpr : dce(closed.jaxpr);
  const tree = closed.inTree;
  if (!tree) return printJaxpr(jaxpr);
  const names = tree.kind === "list" ? tree.children.flatMap((arg, i) => leafPaths(arg, opts.argNames?.[i] ?? `arg${i}`)) : leafPaths(tree, opts.argNames?.[0] ?? "arg0");
  return printJaxpr(jaxpr, { inNames: names });
}

import { dce, Literal, inlineHigherOrder, type Atom, type Eqn, type Jaxpr, type Var } from "@mmx/core";
import { GraphBuilder, valueInfo, type Value } from "./graph-builder.js";
import type { LoweringOptions } from "./lowerings.js";
import { DataType, type ValueInfoMessage } from "./proto.js";

type LowerEquations = (b: GraphBuilder, jaxpr: Jaxpr, env: Map<Var, Value>, lowering: LoweringOptions) => void;

let subgraphs = 0;

const scalarInfo = (name: string, elemType: number): ValueInfoMessage => ({ name, type: { tensor_type: { elem_type: elemType as never, shape: { dim: [] } } } });

/**
 * A scan as one ONNX `Loop` node. Its body is a subgraph with inputs (iteration, condition, carry...) and
 * outputs (condition, carry..., y...): each step gathers its slice of every x from the enclosing graph (the
 * Loop reads the constants and xs from the outer scope), runs the scan's body lowered as any program is, and
 * the Loop stacks the ys along a new leading axis in iteration order, which a reverse scan then flips back.
 * Returns the names of the scan's results: the final carry, then the stacked ys.
 */
export function lowerScan(b: GraphBuilder, eqn: Eqn<"scan">, operands: readonly Value[], lowering: LoweringOptions, lowerEquations: LowerEquations): string[] {
  const { numConsts, numCarry, length, reverse } = eqn.params;
  // Nested scans of no steps are unrolled (their results are their inputs); the others become nested Loops.
  const body = dce(inlineHigherOrder(eqn.params.body, (e) => e.params.length === 0));
  // Every operand's name now, in the outer graph (a constant fill is materialised there, before the Loop).
  const outer = operands.map((v) => ({ name: v.name, aval: v.aval, ...(v.splat !== undefined ? { splat: v.splat } : {}) }));
  const consts = outer.slice(0, numConsts);
  const init = outer.slice(numConsts, numConsts + numCarry);
  const xs = outer.slice(numConsts + numCarry);

  const sub = new GraphBuilder(`${b.prefix}loop${subgraphs++}_`);
  sub.origin = b.origin;
  const iter = sub.fresh("iter");
  const condIn = sub.fresh("cond");
  const carryIn = init.map(() => sub.fresh("carry"));
  const env = new Map<Var, Value>();
  body.inBinders.slice(0, numConsts).forEach((v, k) => env.set(v, consts[k]!));
  body.inBinders.slice(numConsts, numConsts + numCarry).forEach((v, k) => env.set(v, { name: carryIn[k]!, aval: v.aval }));
  if (xs.length > 0) {
    const index = reverse ? sub.op("Sub", [sub.constant([], DataType.INT64, BigInt64Array.of(BigInt(length - 1))), iter]) : iter;
    body.inBinders.slice(numConsts + numCarry).forEach((v, k) => env.set(v, { name: sub.op("Gather", [xs[k]!.name, index], { axis: { int: 0 } }), aval: v.aval }));
  }
  lowerEquations(sub, body, env, lowering);

  // Each body output is a fresh name of the subgraph (an output may not be an input or an outer value).
  const outNames = body.outs.map((a) => {
    const name = sub.fresh("out");
    sub.nodeTo("Identity", [readBodyAtom(sub, env, a)], name);
    return name;
  });
  const condOut = sub.fresh("cond_out");
  sub.nodeTo("Identity", [condIn], condOut);
  sub.sweep([condOut, ...outNames]);

  const graph = {
    name: `${sub.prefix}body`,
    node: sub.nodes,
    initializer: sub.initializers,
    input: [scalarInfo(iter, DataType.INT64), scalarInfo(condIn, DataType.BOOL), ...carryIn.map((n, k) => valueInfo(n, init[k]!.aval.dtype, init[k]!.aval.shape))],
    output: [scalarInfo(condOut, DataType.BOOL), ...body.outs.map((a, k) => valueInfo(outNames[k]!, a.aval.dtype, a.aval.shape))],
  };
  const tripCount = b.constant([], DataType.INT64, BigInt64Array.of(BigInt(length)));
  const results = b.node("Loop", [tripCount, "", ...init.map((v) => v.name)], { body: { graph } }, body.outs.length);
  const ys = results.slice(numCarry);
  if (!reverse || length <= 1) return results;
  // The Loop stacked the ys in iteration order (last slice first): put each back at its own index.
  const backwards = b.constant([length], DataType.INT64, BigInt64Array.from({ length }, (_, i) => BigInt(length - 1 - i)));
  return [...results.slice(0, numCarry), ...ys.map((y) => b.op("Gather", [y, backwards], { axis: { int: 0 } }))];
}

function readBodyAtom(sub: GraphBuilder, env: ReadonlyMap<Var, Value>, a: Atom): string {
  if (a instanceof Literal) return sub.scalar(a.value, a.aval.dtype);
  const v = env.get(a);
  if (!v) throw new Error("internal error: a scan body output is not bound");
  return v.name;
}

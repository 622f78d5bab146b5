import { describe, expect, it } from "vitest";
import { batchRules } from "./batch-rules.js";
import { jvpRules } from "./jvp-rules.js";
import { tfjsLowerings } from "./lowering/tfjs.js";
import { makeJaxpr, np, type Array as MxArray } from "./index.js";
import { ELEMENTWISE_PRIMITIVES, IDENTITY_PRIMITIVES, PRIMITIVE_KINDS, primitivesOfKind, type Primitive } from "./primitives.js";
import { shapeRules } from "./shape-rules.js";
import { vjpRules } from "./vjp-rules.js";

/**
 * The primitive table (PRIMITIVE_KINDS, typed over PrimitiveParams) is the one list of primitives: the compiler
 * makes every rule table total over it, and these checks make sure that what is derived from it at run time
 * agrees (no table carries a stray entry, the derived sets are the table's, np's functions bind their own
 * primitive). The ONNX lowering table is checked the same way in packages/onnx.
 */
const primitives = Object.keys(PRIMITIVE_KINDS).sort();

describe("the primitive table", () => {
  it.each([
    ["shape rules", shapeRules],
    ["VJP rules", vjpRules],
    ["JVP rules", jvpRules],
    ["batching rules", batchRules],
    ["tfjs lowerings", tfjsLowerings],
  ])("the %s have one entry per primitive, and no other", (_name, table) => {
    expect(Object.keys(table).sort()).toEqual(primitives);
    for (const rule of Object.values(table)) expect(typeof rule).toBe("function");
  });

  it("the elementwise and identity sets are the table's kinds", () => {
    expect([...ELEMENTWISE_PRIMITIVES].sort()).toEqual(primitivesOfKind("unary", "binary", "comparison", "select").sort());
    expect([...IDENTITY_PRIMITIVES].sort()).toEqual(["stop_gradient", "tag"]);
    for (const p of ["add", "relu", "where", "less_equal"] as Primitive[]) expect(ELEMENTWISE_PRIMITIVES.has(p)).toBe(true);
    for (const p of ["reduce_sum", "conv", "reshape", "convert_element_type"] as Primitive[]) expect(ELEMENTWISE_PRIMITIVES.has(p)).toBe(false);
  });

  /** np's name of an elementwise primitive: camelCase, except the two numpy names. */
  const npName = (p: Primitive) => ({ logistic: "sigmoid" })[p as string] ?? p.replace(/_(\w)/g, (_m, c: string) => c.toUpperCase());

  it.each(primitivesOfKind("unary"))("np.%s's function binds the unary primitive of that name", (p) => {
    const fn = (np as unknown as Record<string, (x: MxArray) => MxArray>)[npName(p)];
    expect(fn, `np.${npName(p)}`).toBeTypeOf("function");
    const jaxpr = makeJaxpr((x: MxArray) => fn!(x))(np.ones([2])).jaxpr;
    expect(jaxpr.eqns.map((e) => e.primitive)).toEqual([p]);
  });

  it.each(primitivesOfKind("binary", "comparison"))("np's function for %s binds that binary primitive", (p) => {
    const fn = (np as unknown as Record<string, (a: MxArray, b: MxArray) => MxArray>)[npName(p)];
    expect(fn, `np.${npName(p)}`).toBeTypeOf("function");
    const jaxpr = makeJaxpr((a: MxArray, b: MxArray) => fn!(a, b))(np.ones([2]), np.ones([2])).jaxpr;
    expect(jaxpr.eqns.map((e) => e.primitive)).toEqual([p]);
  });
});

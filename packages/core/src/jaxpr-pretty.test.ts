import { describe, expect, it } from "vitest";
import { makeJaxpr, np, prettyJaxpr, ShapedArray, type Array } from "./index.js";

type Params = { w: Array; b: Array; layers: { scale: Array }[] };
const P = { w: new ShapedArray([3, 2], "float32"), b: new ShapedArray([2], "float32"), layers: [{ scale: new ShapedArray([], "float32") }] };
const X = new ShapedArray([4, 3], "float32");

// `unused` is computed and never returned: a dead equation.
const f = (p: Params, x: Array) => {
  const unused = np.exp(x);
  void unused;
  return np.mul(np.add(np.matmul(x, p.w), p.b), p.layers[0]!.scale);
};

describe("prettyJaxpr", () => {
  it("names inputs by argument and path, and drops equations no output needs", () => {
    expect(prettyJaxpr(makeJaxpr(f)(P, X), { argNames: ["p", "x"] })).toMatchInlineSnapshot(`
      "{ lambda ; p.b:f32[2] p.layers[0].scale:f32[] p.w:f32[3,2] x:f32[4,3]. let
          a:f32[4,2] = matmul[transposeA=false transposeB=false] x p.w
          b:f32[4,2] = add a p.b
          c:f32[4,2] = mul b p.layers[0].scale
        in (c) }"
    `);
  });

  it("keeps the traced program on request, and names unnamed arguments by position", () => {
    expect(prettyJaxpr(makeJaxpr(f)(P, X), { keepDead: true })).toMatchInlineSnapshot(`
      "{ lambda ; arg0.b:f32[2] arg0.layers[0].scale:f32[] arg0.w:f32[3,2] arg1:f32[4,3]. let
          a:f32[4,3] = exp arg1
          b:f32[4,2] = matmul[transposeA=false transposeB=false] arg1 arg0.w
          c:f32[4,2] = add b arg0.b
          d:f32[4,2] = mul c arg0.layers[0].scale
        in (d) }"
    `);
  });

  it("never gives an equation an input's name", () => {
    const g = (a: Array, b: Array) => np.add(np.mul(a, b), a);
    const text = prettyJaxpr(makeJaxpr(g)(X, X), { argNames: ["c", "a"] });
    expect(text).toMatchInlineSnapshot(`
      "{ lambda ; c:f32[4,3] a:f32[4,3]. let
          b:f32[4,3] = mul c a
          d:f32[4,3] = add b c
        in (d) }"
    `);
  });
});

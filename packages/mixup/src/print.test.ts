import { describe, expect, it } from "vitest";
import { makeJaxpr, np, prettyJaxpr, ShapedArray, tag, type Array } from "@mmx/core";
import { mixup } from "./index.js";

type Params = { w1: Array; w2: Array };
const model = (p: Params, x: Array) => np.matmul(tag(np.tanh(np.matmul(x, p.w1)), "hidden"), p.w2);
const P = { w1: new ShapedArray([3, 4], "float32"), w2: new ShapedArray([4, 2], "float32") };
const X = new ShapedArray([5, 3], "float32");
const Y = new ShapedArray([5, 2], "float32");
const PERM = new ShapedArray([5], "int32");

describe("a mixed model's printed jaxpr", () => {
  it("after DCE, with inputs named by parameter path: only the mixed forward pass when only the output is used", () => {
    const g = (p: Params, x: Array, y: Array, perm: Array) => mixup(1, 0.25)(model)(p, x, y, perm).out;
    expect(prettyJaxpr(makeJaxpr(g)(P, X, Y, PERM), { argNames: ["p", "x", "y", "perm"] })).toMatchInlineSnapshot(`
      "{ lambda ; p.w1:f32[3,4] p.w2:f32[4,2] x:f32[5,3] y:f32[5,2] perm:i32[5]. let
          a:f32[5,4] = matmul[transposeA=false transposeB=false] x p.w1
          b:f32[5,4] = tanh a
          c:f32[5,4] = tag[name=hidden] b
          d:f32[5,4] = take[axis=0] c perm
          e:f32[5,4] = mul c 0.25
          f:f32[5,4] = mul d 0.75
          g:f32[5,4] = add e f
          h:f32[5,2] = matmul[transposeA=false transposeB=false] g p.w2
        in (h) }"
    `);
  });
});

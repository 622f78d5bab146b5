import { describe, expect, it } from "vitest";
import { makeJaxpr, prettyJaxpr, type Array } from "@mmx/core";
import { mixup } from "./index.js";
import { model, P, PERM, X, Y, type Params } from "./testing-only/hidden-layer-model.js";

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

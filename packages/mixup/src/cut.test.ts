import { describe, expect, it } from "vitest";
import { makeJaxpr, np, prettyJaxpr, ShapedArray, tag, tidy, type Array } from "@mmx/core";
import * as nn from "@mmx/nn";
import { key } from "@mmx/random";
import { assertAllClose, inputFor } from "@mmx/testing";
import { boundaries, describeCuts, mixup } from "./index.js";

/** λ·h + (1−λ)·h[perm], written out: the reference mixing. */
const lerp = (h: Array, lam: number, perm: number[]) => np.add(np.mul(h, lam), np.mul(np.take(h, np.array(perm, { dtype: "int32" })), 1 - lam));
const quiet = { onWarning: () => {} };

/** A residual program whose tag sits inside the block: the skip `a` is read after the tag. */
type Params = { w1: Array; w2: Array; w3: Array; w4: Array };
const residual = (p: Params, x: Array) => {
  const a = np.tanh(np.matmul(x, p.w1));
  const t = tag(np.tanh(np.matmul(a, p.w2)), "inner");
  return np.matmul(np.add(np.matmul(t, p.w3), a), p.w4);
};
const params = (): Params => ({ w1: inputFor([3, 4], 1), w2: inputFor([4, 4], 2), w3: inputFor([4, 4], 3), w4: inputFor([4, 2], 4) });
const LAM = 0.3;
const PERM = [2, 0, 3, 1];
const Y = () => np.array([0, 1, 1, 0], { dtype: "int32" });

describe("cut-point mixing at a tag inside a residual block", () => {
  it("mixes both paths: equals the prefix, both crossing values mixed by hand, then the suffix", () => {
    tidy(() => {
      const p = params();
      const x = inputFor([4, 3], 5);
      const a = np.tanh(np.matmul(x, p.w1));
      const t = np.tanh(np.matmul(a, p.w2));
      const expected = np.matmul(np.add(np.matmul(lerp(t, LAM, PERM), p.w3), lerp(a, LAM, PERM)), p.w4);
      assertAllClose(mixup("inner", LAM)(residual)(p, x, Y(), PERM).out.dataSync(), expected.dataSync(), { rtol: 1e-5, atol: 1e-6, what: "cut" });
      // The tag mode mixes the tagged value alone: the skip path stays clean.
      const tagOnly = np.matmul(np.add(np.matmul(lerp(t, LAM, PERM), p.w3), a), p.w4);
      assertAllClose(mixup("inner", LAM, { at: "tag" })(residual)(p, x, Y(), PERM).out.dataSync(), tagOnly.dataSync(), { rtol: 1e-5, atol: 1e-6, what: "tag" });
    });
  });

  it("a mask mixing (PatchUp at a hidden boundary) applies the same mask to both paths", () => {
    tidy(() => {
      const p = params();
      const x = inputFor([4, 3], 5);
      const mask = np.array([[1, 0, 1, 0], [0, 0, 1, 1], [1, 1, 1, 1], [0, 1, 0, 1]]);
      const masked = (h: Array) => np.add(np.mul(h, mask), np.mul(np.take(h, np.array(PERM, { dtype: "int32" })), np.sub(1, mask)));
      const a = np.tanh(np.matmul(x, p.w1));
      const t = np.tanh(np.matmul(a, p.w2));
      const expected = np.matmul(np.add(np.matmul(masked(t), p.w3), masked(a)), p.w4);
      const got = mixup("inner", { kind: "mask", mask })(residual)(p, x, Y(), PERM).out;
      assertAllClose(got.dataSync(), expected.dataSync(), { rtol: 1e-5, atol: 1e-6, what: "mask at a cut" });
    });
  });

  it("the listing shows what each cut mixes: shapes and the equation and scope that made them", () => {
    tidy(() => {
      const list = boundaries(residual, params(), inputFor([4, 3], 5));
      expect(list[1]!.mixes).toEqual([
        { madeBy: "tanh", scope: "", shape: [4, 4], dtype: "float32" },
        { madeBy: "tag inner", scope: "", shape: [4, 4], dtype: "float32" },
      ]);
      expect(describeCuts(list)).toBe("0 input [4,3]: mixes x [4,3]\n1 inner [4,4]: mixes tanh [4,4], tag inner [4,4]");
    });
  });

  it("the printed program shows one interpolation per crossing value, inserted at the cut", () => {
    const P = { w1: new ShapedArray([3, 4], "float32"), w2: new ShapedArray([4, 4], "float32"), w3: new ShapedArray([4, 4], "float32"), w4: new ShapedArray([4, 2], "float32") };
    const g = (p: Params, x: Array, y: Array, perm: Array) => mixup(1, 0.25)(residual)(p, x, y, perm).out;
    expect(prettyJaxpr(makeJaxpr(g)(P, new ShapedArray([4, 3], "float32"), new ShapedArray([4], "int32"), new ShapedArray([4], "int32")), { argNames: ["p", "x", "y", "perm"] })).toMatchInlineSnapshot(`
      "{ lambda ; p.w1:f32[3,4] p.w2:f32[4,4] p.w3:f32[4,4] p.w4:f32[4,2] x:f32[4,3] y:i32[4] perm:i32[4]. let
          a:f32[4,4] = matmul[transposeA=false transposeB=false] x p.w1
          b:f32[4,4] = tanh a
          c:f32[4,4] = matmul[transposeA=false transposeB=false] b p.w2
          d:f32[4,4] = tanh c
          e:f32[4,4] = tag[name=inner] d
          f:f32[4,4] = take[axis=0] b perm
          g:f32[4,4] = mul b 0.25
          h:f32[4,4] = mul f 0.75
          i:f32[4,4] = add g h
          j:f32[4,4] = take[axis=0] e perm
          k:f32[4,4] = mul e 0.25
          l:f32[4,4] = mul j 0.75
          m:f32[4,4] = add k l
          n:f32[4,4] = matmul[transposeA=false transposeB=false] m p.w3
          o:f32[4,4] = add n i
          p:f32[4,2] = matmul[transposeA=false transposeB=false] o p.w4
        in (p) }"
    `);
  });
});

describe("cut-point mixing on @mmx/nn models", () => {
  it("a tag inside an nn.residual body mixes the body's value and the skip", () => {
    tidy(() => {
      const body = nn.sequential({ a: nn.dense(5), act: nn.tanh, b: nn.dense(5) });
      const net = nn.sequential({ stem: nn.dense(5), res: nn.residual(body), head: nn.dense(2) });
      const { params: q } = net.init(key(0), [-1, 3]);
      const x = inputFor([4, 3], 9);
      const f = (pp: nn.ParamTree, xs: Array) => net.apply(pp, xs).out;
      const list = boundaries(f, q, x);
      const at = list.find((b) => b.name === "res.body.a")!;
      expect(at.mixes.map((m) => m.madeBy)).toEqual(["tag stem", "tag res.body.a"]);
      const qq = q as Record<string, any>;
      const s = nn.dense(5).apply(qq.stem, x).out;
      const a = nn.dense(5).apply(qq.res.body.a, s).out;
      const h = nn.dense(5).apply(qq.res.body.b, np.tanh(lerp(a, LAM, PERM))).out;
      const expected = nn.dense(2).apply(qq.head, np.add(h, lerp(s, LAM, PERM))).out;
      assertAllClose(mixup("res.body.a", LAM)(f)(q, x, Y(), PERM).out.dataSync(), expected.dataSync(), { rtol: 1e-5, atol: 1e-6, what: "out" });
    });
  });

  it("on a chain of layers (every nn.sequential boundary) the cut holds the tagged value alone: cut and tag are the same program", () => {
    tidy(() => {
      const model = nn.smallCnn();
      const { params: q, state } = model.init(key(1), [-1, 28, 28, 1]);
      const forward = (pp: nn.ParamTree, xs: Array, st: unknown) => {
        const r = model.apply(pp, xs, { train: true, state: st });
        return { out: r.out, state: r.state };
      };
      const x = inputFor([2, 28, 28, 1], 3);
      const list = boundaries(forward, q, x, state);
      for (const b of list) expect(b.mixes.length, b.name).toBe(1);
      const y = np.array([1, 2], { dtype: "int32" });
      const viaCut = makeJaxpr((pp: nn.ParamTree, xs: Array, st: unknown) => mixup(2, 0.4, quiet)(forward)(pp, xs, y, [1, 0], st).out)(q, x, state).toString();
      const viaTag = makeJaxpr((pp: nn.ParamTree, xs: Array, st: unknown) => mixup(2, 0.4, { ...quiet, at: "tag" })(forward)(pp, xs, y, [1, 0], st).out)(q, x, state).toString();
      expect(viaCut).toBe(viaTag);
    });
  });
});

describe("errors name the culprit", () => {
  it("an unknown placement option", () => {
    tidy(() => {
      const p = params();
      const x = inputFor([4, 3], 5);
      expect(() => mixup(1, 0.5, { at: "edge" as never })(residual)(p, x, Y(), PERM)).toThrow('mixup: at must be "cut" or "tag", got "edge"');
      expect(() => mixup(1, 0.5, { bn: "frozen" as never })(residual)(p, x, Y(), PERM)).toThrow('mixup: bn must be "mixed", "clean", "after", got "frozen"');
    });
  });

  it("a value crossing the cut whose examples were merged into another axis cannot be mixed, and is named", () => {
    tidy(() => {
      const merged = (p: { w: Array }, x: Array) => {
        const flat = np.reshape(x, [-1]);
        const h = tag(np.tanh(x), "h");
        return np.add(np.matmul(h, p.w), np.sum(flat));
      };
      const p = { w: inputFor([3, 2], 1) };
      const x = inputFor([4, 3], 2);
      expect(() => mixup("h", 0.5)(merged)(p, x, Y(), PERM)).toThrow("mixup: cannot mix at boundary 1: the f32[12] value made by reshape crosses the cut but reshape merges the example axis with others");
      expect(boundaries(merged, p, x)[1]!.blocked.map((b) => b.reason)).toEqual(["reshape merges the example axis with others"]);
      // The tag mode mixes the tagged value only, as before.
      expect(mixup("h", 0.5, { at: "tag" })(merged)(p, x, Y(), PERM).out.shape).toEqual([4, 2]);
    });
  });
});

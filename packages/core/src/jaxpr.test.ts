import { describe, expect, it } from "vitest";
import { ClosedJaxpr, evalJaxpr, grad, jit, Jaxpr, JaxprTypeError, makeJaxpr, np, ShapedArray, tag, typecheckJaxpr, Var, type Array as MxArray } from "./index.js";

const mlp = (params: { w1: MxArray; w2: MxArray }, x: MxArray) => {
  const h = tag(np.tanh(np.matmul(x, params.w1)), "layer1");
  return tag(np.matmul(h, params.w2), "head");
};
const params = { w1: new ShapedArray([3, 4], "float32"), w2: new ShapedArray([4, 2], "float32") };
const x = new ShapedArray([5, 3], "float32");

describe("printed jaxprs", () => {
  it("reads like JAX's", () => {
    expect(makeJaxpr((a: MxArray) => np.tanh(a))(new ShapedArray([4, 3], "float32")).toString()).toMatchInlineSnapshot(`
      "{ lambda ; a:f32[4,3]. let
          b:f32[4,3] = tanh a
        in (b) }"
    `);
  });

  it("shows tags as layer boundaries", () => {
    expect(makeJaxpr(mlp)(params, x).toString()).toMatchInlineSnapshot(`
      "{ lambda ; a:f32[3,4] b:f32[4,2] c:f32[5,3]. let
          d:f32[5,4] = matmul[transposeA=false transposeB=false] c a
          e:f32[5,4] = tanh d
          f:f32[5,4] = tag[name=layer1] e
          g:f32[5,2] = matmul[transposeA=false transposeB=false] f b
          h:f32[5,2] = tag[name=head] g
        in (h) }"
    `);
  });

  it("shows grad of a tagged model as one program: forward, then the VJP rules", () => {
    const loss = (p: typeof params, xs: MxArray) => np.mean(np.square(mlp(p as never, xs)));
    expect(makeJaxpr(grad(loss))(params, x).toString()).toMatchInlineSnapshot(`
      "{ lambda ; a:f32[3,4] b:f32[4,2] c:f32[5,3]. let
          d:f32[5,4] = matmul[transposeA=false transposeB=false] c a
          e:f32[5,4] = tanh d
          f:f32[5,4] = tag[name=layer1] e
          g:f32[5,2] = matmul[transposeA=false transposeB=false] f b
          h:f32[5,2] = tag[name=head] g
          i:f32[5,2] = mul h h
          j:f32[] = reduce_sum[axes=(0,1)] i
          k:f32[] = div j 10.0
          l:f32[] = broadcast_to[shape=()] 1.0
          m:f32[] = div l 10.0
          n:f32[5,2] = broadcast_to[shape=(5,2)] m
          o:f32[5,2] = mul n h
          p:f32[5,2] = mul n h
          q:f32[5,2] = add o p
          r:f32[5,4] = matmul[transposeA=false transposeB=true] q b
          s:f32[4,2] = matmul[transposeA=true transposeB=false] f q
          t:f32[5,4] = mul e e
          u:f32[5,4] = sub 1.0 t
          v:f32[5,4] = mul r u
          w:f32[3,4] = matmul[transposeA=true transposeB=false] c v
        in (w, s) }"
    `);
  });

  it("prints constants, literals and integer types", () => {
    const c = np.array([1, 2, 3], { dtype: "int32" });
    expect(makeJaxpr((i: MxArray) => np.add(np.mul(i, 2), c))(new ShapedArray([3], "int32")).toString()).toMatchInlineSnapshot(`
      "{ lambda a:i32[3]; b:i32[3]. let
          c:i32[3] = mul b 2
          d:i32[3] = add c a
        in (d) }"
    `);
  });

  it("jit's program drops what no output needs (the loss value of grad)", () => {
    const loss = (w: MxArray) => np.sum(np.exp(w));
    const program = jit(grad(loss)).lower(np.zeros([2]));
    expect(program.toString()).toMatchInlineSnapshot(`
      "{ lambda ; a:f32[2]. let
          b:f32[2] = exp a
          c:f32[] = broadcast_to[shape=()] 1.0
          d:f32[2] = broadcast_to[shape=(2,)] c
          e:f32[2] = mul d b
        in (e) }"
    `);
  });
});

describe("jaxpr type checking and evaluation", () => {
  it("accepts every traced program", () => {
    typecheckJaxpr(makeJaxpr(mlp)(params, x).jaxpr);
    typecheckJaxpr(makeJaxpr(grad((p: typeof params, xs: MxArray) => np.sum(mlp(p as never, xs))))(params, x).jaxpr);
  });

  it("rejects an equation whose output type contradicts its rule", () => {
    const a = new Var(new ShapedArray([2], "float32"));
    const out = new Var(new ShapedArray([3], "float32"));
    const bad = new Jaxpr([], [a], [{ primitive: "exp", inputs: [a], params: {}, out, scope: "" }], [out]);
    expect(() => typecheckJaxpr(bad)).toThrow(JaxprTypeError);
    expect(() => typecheckJaxpr(bad)).toThrow(/equation 0 \(exp\): binds f32\[3\] but its rule gives f32\[2\]/);
  });

  it("rejects use before definition", () => {
    const a = new Var(new ShapedArray([2], "float32"));
    const b = new Var(new ShapedArray([2], "float32"));
    const out = new Var(new ShapedArray([2], "float32"));
    expect(() => typecheckJaxpr(new Jaxpr([], [a], [{ primitive: "add", inputs: [a, b], params: {}, out, scope: "" }], [out]))).toThrow(/before it is bound/);
  });

  it("evaluates with arguments checked against its binders", () => {
    const closed = makeJaxpr((a: MxArray) => np.exp(a))(new ShapedArray([2], "float32"));
    expect(closed).toBeInstanceOf(ClosedJaxpr);
    expect(Array.from(evalJaxpr(closed, [np.array([0, 1])])[0]!.dataSync())).toEqual([1, Math.fround(Math.E)]);
    expect(() => evalJaxpr(closed, [np.array([0, 1, 2])])).toThrow(/argument 0 is f32\[3\], the jaxpr expects f32\[2\]/);
  });
});

describe("layer scopes", () => {
  it("equations keep the layer they were bound in, through grad and re-evaluation", async () => {
    const { namedScope } = await import("./index.js");
    const layer = (w: MxArray, xs: MxArray) => namedScope("block1", () => np.tanh(np.matmul(xs, w)));
    const loss = (w: MxArray, xs: MxArray) => np.sum(layer(w, xs));
    const g = makeJaxpr(grad(loss))(new ShapedArray([3, 4], "float32"), x);
    const scopes = new Set(g.jaxpr.eqns.filter((e) => e.primitive === "matmul" || e.primitive === "tanh").map((e) => e.scope));
    expect([...scopes]).toEqual(["block1"]);
    // evalJaxpr under makeJaxpr (how mixup and inlined jit re-bind equations) keeps them too.
    const closed = makeJaxpr(layer)(new ShapedArray([3, 4], "float32"), x);
    const again = makeJaxpr((w: MxArray, xs: MxArray) => evalJaxpr(closed, [w, xs])[0]!)(new ShapedArray([3, 4], "float32"), x);
    expect(again.jaxpr.eqns.map((e) => e.scope)).toEqual(["block1", "block1"]);
  });
});

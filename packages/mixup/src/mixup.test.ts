import { describe, expect, it } from "vitest";
import { grad, jit, makeJaxpr, np, ShapedArray, tidy, type Array } from "@mmx/core";
import { boundaries, capture, mixup } from "./index.js";
import { model, P, PERM, X, Y, type Params } from "./testing-only/hidden-layer-model.js";

const LAMBDA = new ShapedArray([], "float32");

const concrete = () => ({
  p: { w1: np.array([[0.1, -0.2, 0.3, 0.4], [0.5, 0.6, -0.7, 0.8], [-0.9, 1.0, 1.1, 1.2]]), w2: np.array([[1, 0], [0, 1], [1, 1], [-1, 0.5]]) },
  x: np.array([[1, 2, 3], [0, 1, 0], [-1, 0.5, 2], [0.3, 0.3, 0.3], [2, -1, 0]]),
  y: np.array([0, 1, 1, 0, 1], { dtype: "int32" }),
});

describe("mixup(k, λ) rewrites the traced program", () => {
  it("before: the model's jaxpr", () => {
    expect(makeJaxpr(model)(P, X).toString()).toMatchInlineSnapshot(`
      "{ lambda ; a:f32[3,4] b:f32[4,2] c:f32[5,3]. let
          d:f32[5,4] = matmul[transposeA=false transposeB=false] c a
          e:f32[5,4] = tanh d
          f:f32[5,4] = tag[name=hidden] e
          g:f32[5,2] = matmul[transposeA=false transposeB=false] f b
        in (g) }"
    `);
  });

  it("after, k = 1: the interpolation is inserted right after the tag and used downstream", () => {
    const g = (p: Params, x: Array, y: Array, perm: Array, lam: Array) => mixup(1, lam)(model)(p, x, y, perm);
    expect(makeJaxpr(g)(P, X, Y, PERM, LAMBDA).toString()).toMatchInlineSnapshot(`
      "{ lambda ; a:f32[3,4] b:f32[4,2] c:f32[5,3] d:f32[5,2] e:i32[5] f:f32[]. let
          g:f32[5,4] = matmul[transposeA=false transposeB=false] c a
          h:f32[5,4] = tanh g
          i:f32[5,4] = tag[name=hidden] h
          j:f32[5,4] = take[axis=0] i e
          k:f32[5,4] = mul i f
          l:f32[] = sub 1.0 f
          m:f32[5,4] = mul j l
          n:f32[5,4] = add k m
          o:f32[5,2] = matmul[transposeA=false transposeB=false] n b
          p:f32[5,2] = take[axis=0] d e
          q:f32[5,2] = mul d f
          r:f32[] = sub 1.0 f
          s:f32[5,2] = mul p r
          t:f32[5,2] = add q s
        in (o, t) }"
    `);
  });

  it("after, k = 0: the input is mixed before the first layer", () => {
    const g = (p: Params, x: Array, y: Array, perm: Array) => mixup(0, 0.25)(model)(p, x, y, perm).out;
    expect(makeJaxpr(g)(P, X, Y, PERM).toString()).toMatchInlineSnapshot(`
      "{ lambda ; a:f32[3,4] b:f32[4,2] c:f32[5,3] d:f32[5,2] e:i32[5]. let
          f:f32[5,3] = take[axis=0] c e
          g:f32[5,3] = mul c 0.25
          h:f32[5,3] = mul f 0.75
          i:f32[5,3] = add g h
          j:f32[5,4] = matmul[transposeA=false transposeB=false] i a
          k:f32[5,4] = tanh j
          l:f32[5,4] = tag[name=hidden] k
          m:f32[5,2] = matmul[transposeA=false transposeB=false] l b
          n:f32[5,2] = take[axis=0] d e
          o:f32[5,2] = mul d 0.25
          p:f32[5,2] = mul n 0.75
          q:f32[5,2] = add o p
        in (m) }"
    `);
  });

  it("lists the boundaries by index, name and shape, and accepts a name for k", () => {
    tidy(() => {
      const { p, x, y } = concrete();
      expect(boundaries(model, p, x)).toEqual([
        { index: 0, name: "input", shape: [5, 3], mixes: [{ madeBy: "x", scope: "", shape: [5, 3], dtype: "float32" }], statistics: [], blocked: [] },
        { index: 1, name: "hidden", shape: [5, 4], mixes: [{ madeBy: "tag hidden", scope: "", shape: [5, 4], dtype: "float32" }], statistics: [], blocked: [] },
      ]);
      expect(mixup.boundaries).toBe(boundaries);
      const byName = mixup("hidden", 0.3)(model)(p, x, y, [1, 0, 3, 2, 4]).out.dataSync();
      const byIndex = mixup(1, 0.3)(model)(p, x, y, [1, 0, 3, 2, 4]).out.dataSync();
      expect(Array_from(byName)).toEqual(Array_from(byIndex));
    });
  });

  it("takes int32 labels (one-hot encoded) or soft targets, and λ per example", () => {
    tidy(() => {
      const { p, x, y } = concrete();
      const perm = [4, 3, 2, 1, 0];
      const lam = np.array([0, 0.25, 0.5, 0.75, 1]);
      const { targets } = mixup(0, lam)(model)(p, x, y, perm);
      // targets[i] = λ_i·onehot(y_i) + (1-λ_i)·onehot(y_perm[i])
      expect(Array_from(targets.dataSync())).toEqual([0, 1, 0.75, 0.25, 0, 1, 0.75, 0.25, 0, 1]);
    });
  });

  it("composes with jit: one cached program per k, λ and perm as traced inputs", () => {
    tidy(() => {
      const { p, x, y } = concrete();
      let traces = 0;
      const step = jit(
        (k: number, params: Params, xs: Array, ys: Array, perm: Array, lam: Array) => {
          traces++;
          const { out, targets } = mixup(k, lam)(model)(params, xs, ys, perm);
          return np.mean(np.sum(np.mul(targets, np.logSoftmax(out)), { axis: -1 }));
        },
        { staticArgnums: [0] },
      );
      const perm = np.array([1, 2, 3, 4, 0], { dtype: "int32" });
      for (const k of [0, 1, 0, 1]) for (const l of [0.2, 0.7]) step(k, p, x, y, perm, np.array(l));
      expect(traces).toBe(2);
      expect(step.cacheSize).toBe(2);
      const eager = mixup(1, 0.7)(model)(p, x, y, perm);
      const expected = np.mean(np.sum(np.mul(eager.targets, np.logSoftmax(eager.out)), { axis: -1 })).item();
      expect(step(1, p, x, y, perm, np.array(0.7)).item()).toBeCloseTo(expected, 6);
    });
  });

  it("passes other outputs of the model through (batch-norm state, say)", () => {
    tidy(() => {
      const { p, x, y } = concrete();
      const withState = (params: Params, xs: Array, state: { n: Array }) => ({ out: model(params, xs), state: { n: np.add(state.n, 1) } });
      const r = mixup(1, 0.5)(withState)(p, x, y, [0, 1, 2, 3, 4], { n: np.array(1) });
      expect((r.state as { n: Array }).n.item()).toBe(2);
      expect(r.out.shape).toEqual([5, 2]);
    });
  });
});

describe("capture(k)", () => {
  it("returns the value at boundary k without editing the model", () => {
    tidy(() => {
      const { p, x } = concrete();
      const h = capture("hidden")(model)(p, x);
      expect(Array_from(h.dataSync())).toEqual(Array_from(np.tanh(np.matmul(x, p.w1)).dataSync()));
      expect(capture(0)(model)(p, x)).toBe(x);
      // Only the layers up to k are in the program.
      expect(makeJaxpr(capture(1)(model))(P, X).jaxpr.eqns.map((e) => e.primitive)).toEqual(["matmul", "tanh", "tag"]);
    });
  });

  it("gives features that grad can differentiate", () => {
    tidy(() => {
      const { p, x } = concrete();
      const g = grad((params: Params) => np.sum(capture(1)(model)(params, x)))(p) as Params;
      expect(np.sum(np.abs(g.w1)).item()).toBeGreaterThan(0);
      expect(np.sum(np.abs(g.w2)).item()).toBe(0);
    });
  });
});

describe("errors name the culprit", () => {
  it("k out of range lists the boundaries; an unknown name too", () => {
    tidy(() => {
      const { p, x, y } = concrete();
      expect(() => mixup(3, 0.5)(model)(p, x, y, [0, 1, 2, 3, 4])).toThrow("mixup: layer 3 is out of range; the model has 2 boundaries: 0 input [5,3]; 1 hidden [5,4]");
      expect(() => mixup("layer9", 0.5)(model)(p, x, y, [0, 1, 2, 3, 4])).toThrow('mixup: no boundary is named "layer9"; the model has: 0 input [5,3]; 1 hidden [5,4]');
    });
  });

  it("λ outside [0, 1] or NaN", () => {
    tidy(() => {
      const { p, x, y } = concrete();
      expect(() => mixup(0, 1.5)(model)(p, x, y, [0, 1, 2, 3, 4])).toThrow("mixup: λ must lie in [0, 1], got 1.5");
      expect(() => mixup(0, NaN)(model)(p, x, y, [0, 1, 2, 3, 4])).toThrow("mixup: λ must lie in [0, 1], got NaN");
      expect(() => mixup(0, np.array([0.5, 0.5, -0.1, 0.5, 0.5]))(model)(p, x, y, [0, 1, 2, 3, 4])).toThrow("mixup: λ must lie in [0, 1], got -0.10000000149011612 at index 2");
      expect(() => mixup(0, np.array([0.5, 0.5]))(model)(p, x, y, [0, 1, 2, 3, 4])).toThrow("mixup: λ must be a scalar or one value per example (f32[5]), got f32[2]");
    });
  });

  it("perm of the wrong length or not a permutation", () => {
    tidy(() => {
      const { p, x, y } = concrete();
      expect(() => mixup(0, 0.5)(model)(p, x, y, [0, 1, 2])).toThrow("mixup: perm has length 3 but the batch has 5 examples");
      expect(() => mixup(0, 0.5)(model)(p, x, y, [0, 1, 1, 3, 4])).toThrow("mixup: perm is not a permutation of 0..4 (1 is repeated)");
      expect(() => mixup(0, 0.5)(model)(p, x, y, [0, 1, 2, 3, 7])).toThrow("mixup: perm is not a permutation of 0..4 (7 is out of range)");
    });
  });

  it("y whose batch does not match x", () => {
    tidy(() => {
      const { p, x } = concrete();
      expect(() => mixup(0, 0.5)(model)(p, x, np.zeros([4, 2]), [0, 1, 2, 3, 4])).toThrow("mixup: y has batch 4 (f32[4,2]) but x has 5 examples");
    });
  });
});

function Array_from(a: ArrayLike<number>): number[] {
  return globalThis.Array.from(a, (v) => Math.round(v * 1e6) / 1e6);
}

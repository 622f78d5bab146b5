/**
 * Properties of the combinators (fast-check): a sequential is the composition of its children, and
 * applying `slice(0, k)` then `slice(k)` is applying the whole (outputs, state and boundaries), for
 * random stacks of layers, in training mode (batch norm and dropout included) and in evaluation mode.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jit, np, tidy, type Array } from "@mmx/core";
import { key, normalValues } from "@mmx/random";
import {
  avgPool,
  batchNorm,
  block,
  boundaries,
  conv2d,
  dense,
  dropout,
  flatten,
  gelu,
  layerNorm,
  leakyRelu,
  LayerShapeError,
  maxPool,
  named,
  relu,
  residual,
  sequential,
  tanh,
  type Layer,
  type Sequential,
  type ParamTree,
} from "./index.js";
import { expectAllClose } from "./testing-only/close.js";

/** Layers for [N, F] inputs. */
const vectorLayer: fc.Arbitrary<Layer> = fc.oneof(
  fc.integer({ min: 1, max: 5 }).map((n) => dense(n)),
  fc.integer({ min: 1, max: 5 }).map((n) => dense(n, { bias: false })),
  fc.constantFrom(relu, tanh, gelu, leakyRelu(0.1)),
  fc.constant(null).map(() => layerNorm()),
  fc.double({ min: 0, max: 1, noNaN: true }).map((m) => batchNorm({ momentum: m })),
  fc.double({ min: 0, max: 0.9, noNaN: true }).map((p) => dropout(p)),
);

/** Layers for [N, H, W, C] inputs (sizes kept valid by a filter on `spec`). */
const imageLayer: fc.Arbitrary<Layer> = fc.oneof(
  fc.record({ c: fc.integer({ min: 1, max: 3 }), k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 2 }), p: fc.integer({ min: 0, max: 1 }) }).map(({ c, k, s, p }) => conv2d(c, k, { stride: s, padding: p })),
  fc.constantFrom(relu, tanh),
  fc.constant(null).map(() => maxPool(2, { stride: 1 })),
  fc.constant(null).map(() => avgPool(2, { stride: 1, padding: 1 })),
  fc.constant(null).map(() => batchNorm()),
  fc.constant(null).map(() => dropout(0.5)),
);

const fits = (layers: Layer[], shape: number[]) => {
  try {
    sequential(layers).spec(shape);
    return true;
  } catch (e) {
    if (e instanceof LayerShapeError) return false;
    throw e;
  }
};

/** A random stack with an input shape it fits (images end with flatten + dense half the time). */
const stack = fc.oneof(
  fc.record({ layers: fc.array(vectorLayer, { minLength: 1, maxLength: 5 }), shape: fc.tuple(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 5 })).map(([n, f]) => [n, f]) }),
  fc
    .record({
      layers: fc.tuple(fc.array(imageLayer, { minLength: 1, maxLength: 4 }), fc.boolean()).map(([ls, head]) => (head ? [...ls, flatten, dense(3)] : ls)),
      shape: fc.tuple(fc.integer({ min: 2, max: 3 }), fc.integer({ min: 3, max: 6 }), fc.integer({ min: 3, max: 6 }), fc.integer({ min: 1, max: 3 })).map(([n, h, w, c]) => [n, h, w, c]),
    })
    .filter(({ layers, shape }) => fits(layers, shape)),
);

const values = (seed: number, shape: number[]) => np.array(normalValues(key(seed), [shape.reduce((a, d) => a * d, 1)]), { shape });
const data = (a: Array) => [...a.dataSync()];

describe("sequential", () => {
  it("applying slice(0, k) then slice(k) equals applying the whole: output, state, boundaries (fast-check)", () => {
    fc.assert(
      fc.property(stack, fc.nat(), fc.boolean(), fc.integer({ min: 0, max: 1e6 }), ({ layers, shape }, kRaw, train, seed) => {
        tidy(() => {
          const seq = sequential(layers);
          const k = 1 + (kRaw % layers.length);
          const { params, state } = seq.init(key(seed), shape);
          const x = values(seed + 1, shape);
          const opts = { train, key: key(seed + 2) };
          const whole = seq.apply(params, x, { ...opts, state });
          const front = seq.slice(0, k);
          const a = front.apply(front.pick(params), x, { ...opts, state: front.pick(state) });
          let out = a.out;
          let st: Record<string, unknown> = a.state as Record<string, unknown>;
          if (k < layers.length) {
            const back = seq.slice(k);
            const b = back.apply(back.pick(params), a.out, { ...opts, state: back.pick(state) });
            out = b.out;
            st = { ...st, ...(b.state as Record<string, unknown>) };
            const names = (l: Sequential, s: number[]) => boundaries(l, l.pick(params), s, l.pick(state)).slice(1).map((bd) => bd.name);
            expect([...names(front, shape), ...names(back, [...a.out.shape])]).toEqual(names(seq, shape));
          }
          expect(out.shape).toEqual(whole.out.shape);
          expect(data(out)).toEqual(data(whole.out));
          expect(Object.keys(st).sort()).toEqual(Object.keys(whole.state as object).sort());
          for (const n of Object.keys(st)) {
            const [mine, theirs] = [st[n], (whole.state as Record<string, unknown>)[n]] as { runningMean: Array; runningVar: Array }[];
            expect(data(mine!.runningMean)).toEqual(data(theirs!.runningMean));
            expect(data(mine!.runningVar)).toEqual(data(theirs!.runningVar));
          }
        });
      }),
      { numRuns: 40 },
    );
  });

  it("sequential([a, b]).apply is b.apply after a.apply (fast-check, a and b themselves random stacks)", () => {
    fc.assert(
      fc.property(stack, fc.array(vectorLayer, { minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 1e6 }), ({ layers, shape }, tail, seed) => {
        tidy(() => {
          const a = sequential(layers);
          const aOut = a.spec(shape).outputShape;
          const b = aOut.length === 2 ? sequential(tail) : relu;
          const seq = sequential([a, b]);
          const { params, state } = seq.init(key(seed), shape);
          const p = params as { [name: string]: ParamTree };
          const s = state as Record<string, unknown>;
          const x = values(seed + 1, shape);
          const ha = a.apply(p["0"] ?? {}, x, { state: s["0"] ?? {} }).out;
          const composed = b.apply(p["1"] ?? {}, ha, { state: s["1"] ?? {} }).out;
          expect(data(seq.apply(params, x, { state }).out)).toEqual(data(composed));
        });
      }),
      { numRuns: 30 },
    );
  });

  it("tags each child's output with its path; a block's inside is not tagged; nesting joins paths with '.'", () => {
    const model = sequential({
      stem: dense(4),
      stage: sequential([named(block({ fc: dense(4), act: relu }), "first"), residual(block([dense(4), tanh]))]),
      head: dense(2),
    });
    expect(model.boundaryNames).toEqual(["stem", "stage.first", "stage.1", "stage", "head"]);
    const found = boundaries(model, null, [-1, 3]);
    expect(found.map((b) => [b.index, b.name, b.shape])).toEqual([
      [0, "input", [-1, 3]],
      [1, "stem", [-1, 4]],
      [2, "stage.first", [-1, 4]],
      [3, "stage.1", [-1, 4]],
      [4, "stage", [-1, 4]],
      [5, "head", [-1, 2]],
    ]);
    expect(model.slice(1, 2).boundaryNames).toEqual(["stage.first", "stage.1", "stage"]);
    expect(model.slice(-1).names).toEqual(["head"]);
  });

  it("jit(apply) equals eager apply, and the params tree leaves parameterless children out", () => {
    tidy(() => {
      const model = sequential([dense(6), relu, batchNorm(), dense(3), tanh]);
      const { params, state } = model.init(key(1), [-1, 4]);
      expect(Object.keys(params as object)).toEqual(["0", "2", "3"]);
      expect(Object.keys(state as object)).toEqual(["2"]);
      const x = values(2, [5, 4]);
      const eager = model.apply(params, x, { train: true, state });
      const f = jit((p: ParamTree, s: unknown, xx: Array) => model.apply(p, xx, { train: true, state: s }));
      const jitted = f(params, state, x) as { out: Array; state: any };
      expectAllClose(jitted.out.dataSync(), eager.out.dataSync());
      expectAllClose(jitted.state["2"].runningVar.dataSync(), (eager.state as any)["2"].runningVar.dataSync());
    });
  });

  it("residual adds the body to the shortcut (identity by default)", () => {
    tidy(() => {
      const res = residual(dense(3));
      const { params } = res.init(key(0), [-1, 3]);
      const x = values(1, [2, 3]);
      const body = dense(3).apply((params as any).body, x).out;
      expectAllClose(res.apply(params, x).out.dataSync(), np.add(body, x).dataSync());
      const projected = residual(dense(2), dense(2));
      expect(Object.keys(projected.init(key(0), [-1, 3]).params as object).sort()).toEqual(["body", "shortcut"]);
    });
  });

  it("rejects what is not a sequential: no layers, duplicate names, a non-layer child, an empty slice", () => {
    expect(() => sequential([])).toThrow(/needs at least one layer/);
    expect(() => sequential([named(dense(2), "a"), named(relu, "a")])).toThrow(/two children are named "a"/);
    expect(() => sequential([dense(2), 3 as unknown as Layer])).toThrow(/child "1" is not a layer/);
    expect(() => sequential({ "a.b": relu })).toThrow(/contain no "\."/);
    expect(() => sequential([relu, tanh]).slice(2)).toThrow(/no children in that range/);
  });
});

import { Array, jit, np, tidy } from "@mmx/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { adam, adamw, cosine, sgd, warmup, type AdamOptions, type Optimizer } from "./index.js";
import { oneMinusPow } from "./scale-by-adam.js";
import { expectClose } from "./testing-only/close.js";
import { adamReference, sgdReference } from "./testing-only/reference.js";
import { step as optimizerStep } from "./testing-only/step.js";

const vec = (xs: number[]) => np.array(xs);
/** float32-representable values in [-2, 2]. */
const valueArb = fc.integer({ min: -2000, max: 2000 }).map((v) => Math.fround(v / 1000));
const problemArb = fc.integer({ min: 1, max: 5 }).chain((n) =>
  fc.record({
    init: fc.array(valueArb, { minLength: n, maxLength: n }),
    grads: fc.array(fc.array(valueArb, { minLength: n, maxLength: n }), { minLength: 1, maxLength: 6 }),
  }),
);

/** Runs an optimizer on a params tree { a: [n], nested: [{ b: [n] }] } (both leaves get the same numbers). */
function run<S>(opt: Optimizer<S>, init: number[], grads: number[][]): number[][] {
  return tidy(() => {
    let params: { a: Array; nested: { b: Array }[] } = { a: vec(init), nested: [{ b: vec(init) }] };
    let state = opt.init(params);
    return grads.map((g) => {
      ({ params, state } = optimizerStep(opt, { a: vec(g), nested: [{ b: vec(g) }] }, state, params));
      expect([...params.nested[0]!.b.dataSync()]).toEqual([...params.a.dataSync()]);
      return [...params.a.dataSync()];
    });
  });
}

describe("against the PyTorch update rules in double precision (property)", () => {
  it("sgd over momentum, dampening, nesterov, weight decay and schedules", () => {
    fc.assert(
      fc.property(
        problemArb,
        fc.record({
          lr: fc.integer({ min: 1, max: 500 }).map((v) => v / 1000),
          momentum: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 99 }).map((v) => v / 100)),
          dampening: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 100 }).map((v) => v / 100)),
          nesterov: fc.boolean(),
          weightDecay: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 100 }).map((v) => v / 1000)),
          scheduled: fc.boolean(),
        }),
        ({ init, grads }, o) => {
          const nesterov = o.nesterov && o.momentum > 0;
          const dampening = nesterov ? 0 : o.dampening;
          const lr = o.scheduled ? warmup({ steps: 2, schedule: cosine({ base: o.lr, steps: 3 }) }) : o.lr;
          const opt = sgd({ lr, momentum: o.momentum, dampening, nesterov, weightDecay: o.weightDecay });
          const want = sgdReference(init, grads, { lr: (t) => opt.schedule.valueAt(t), momentum: o.momentum, dampening, nesterov, weightDecay: o.weightDecay });
          // float32 steps of size <= lr·(|g| + momentum terms) <= ~10: a few ulps of the values.
          run(opt, init, grads).forEach((got, t) => expectClose(got, want[t]!, { rtol: 1e-5, atol: 2e-6, what: `step ${t + 1}` }));
        },
      ),
      { numRuns: 40 },
    );
  });

  it("adam and adamw over betas, eps and weight decay", () => {
    fc.assert(
      fc.property(
        problemArb,
        fc.record({
          lr: fc.integer({ min: 1, max: 100 }).map((v) => v / 1000),
          b1: fc.integer({ min: 0, max: 99 }).map((v) => v / 100),
          b2: fc.integer({ min: 900, max: 999 }).map((v) => v / 1000),
          eps: fc.constantFrom(1e-8, 1e-6, 1e-3),
          weightDecay: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 100 }).map((v) => v / 1000)),
          decoupled: fc.boolean(),
        }),
        ({ init, grads }, o) => {
          const make: (options: AdamOptions) => Optimizer<unknown> = o.decoupled ? adamw : adam;
          const opt = make({ lr: o.lr, betas: [o.b1, o.b2], eps: o.eps, weightDecay: o.weightDecay });
          const want = adamReference(init, grads, { lr: () => o.lr, betas: [o.b1, o.b2], eps: o.eps, weightDecay: o.weightDecay, decoupled: o.decoupled });
          // Adam's steps are ~lr in size whatever the gradient; m/sqrt(v) is ill-conditioned where g ≈ 0
          // (then eps decides), hence an absolute tolerance of 1e-3·lr on top of float32 rounding.
          run(opt, init, grads).forEach((got, t) => expectClose(got, want[t]!, { rtol: 1e-6, atol: 1e-6 + 1e-3 * o.lr, what: `step ${t + 1}` }));
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe("adam's bias correction", () => {
  it("1 - β^t is accurate in float32 from t = 1 to underflow", () =>
    tidy(() => {
      const ts = [1, 2, 3, 10, 100, 1000, 10_000, 100_000, 1_000_000];
      for (const beta of [0, 0.5, 0.9, 0.99, 0.999, 0.9999]) {
        const got = oneMinusPow(beta, np.array(ts)).dataSync();
        // Double-precision truth; 1e-6 relative is a few float32 ulps. `1 - pow(β, t)` in float32
        // would be off by ~1e-5 relative at β = 0.999, t = 1 (and 1e-4 at β = 0.9999).
        expectClose(got, ts.map((t) => -Math.expm1(t * Math.log(beta))), { rtol: 1e-6, what: `β = ${beta}` });
      }
    }));
});

describe("jit", () => {
  it("a whole sgd step with a cosine schedule runs under jit without retracing", () => {
    const opt = sgd({ lr: cosine({ base: 0.1, steps: 4 }), momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
    const loss = (p: { w: Array }) => np.sum(np.square(p.w));
    const step = jit((state: ReturnType<typeof opt.init>, params: { w: Array }) => {
      // d/dw sum(w²) = 2w, written out so the test needs no grad.
      const grads = { w: np.mul(params.w, 2) };
      return optimizerStep(opt, grads, state, params);
    });
    tidy(() => {
      let params = { w: vec([1, -2, 3]) };
      let state = opt.init(params);
      const start = loss(params).item();
      for (let i = 0; i < 6; i++) ({ params, state } = step(state, params));
      expect(step.cacheSize).toBe(1);
      expect(state[2].count.item()).toBe(6);
      expect(loss(params).item()).toBeLessThan(start);
    });
  });
});

describe("errors name the culprit", () => {
  it("hyperparameters", () => {
    expect(() => sgd({ lr: 0 })).toThrow(/sgd: lr must be a finite number > 0 or a Schedule, got 0/);
    expect(() => sgd({ lr: -0.1 })).toThrow(/got -0.1/);
    expect(() => sgd({ lr: NaN })).toThrow(/sgd: lr must be .* got NaN/);
    expect(() => sgd({ lr: 0.1, momentum: 1 })).toThrow(/sgd: momentum must lie in \[0, 1\), got 1/);
    expect(() => sgd({ lr: 0.1, momentum: -0.5 })).toThrow(/momentum must lie in \[0, 1\), got -0.5/);
    expect(() => sgd({ lr: 0.1, nesterov: true })).toThrow(/sgd: Nesterov momentum requires a momentum and zero dampening \(got momentum 0, dampening 0\)/);
    expect(() => sgd({ lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true })).toThrow(/Nesterov momentum requires a momentum and zero dampening \(got momentum 0.9, dampening 0.1\)/);
    expect(() => sgd({ lr: 0.1, weightDecay: -1 })).toThrow(/sgd: weightDecay must be a finite number >= 0, got -1/);
    expect(() => sgd({ lr: 0.1, weight_decay: 1e-4 } as never)).toThrow(/sgd: unknown option 'weight_decay'; the options are lr, momentum, dampening, nesterov, weightDecay/);
    expect(() => adam({ betas: [0.9, 1] })).toThrow(/adam: betas\[1\] must lie in \[0, 1\), got 1/);
    expect(() => adamw({ betas: [-0.1, 0.99] })).toThrow(/adamw: betas\[0\] must lie in \[0, 1\), got -0.1/);
    expect(() => adam({ betas: [0.9] as never })).toThrow(/adam: betas must be a pair/);
    expect(() => adam({ eps: -1 })).toThrow(/adam: eps must be a finite number >= 0/);
    expect(() => adam({ lr: 0 })).toThrow(/adam: lr must be a finite number > 0 or a Schedule, got 0/);
  });

  it("trees", () =>
    tidy(() => {
      const opt = sgd({ lr: 0.1, momentum: 0.9 });
      const params = { layers: [{ w: vec([1, 2]), b: vec([0]) }] };
      const state = opt.init(params);
      const g = (b: Array) => ({ layers: [{ w: vec([1, 1]), b }] });
      expect(() => opt.update({ layers: [{ w: vec([1, 1]) }] } as never, state, params)).toThrow(/sgd.update: the grads tree does not match the params tree at layers\[0\]\.b: present vs missing \(params vs grads\)/);
      expect(() => opt.update({ layers: [] } as never, state, params)).toThrow(/at layers: a list of 1 vs a list of 0/);
      expect(() => opt.update(g(vec([0, 0])), state, params)).toThrow(/sgd.update: grads leaf layers\[0\]\.b is float32 \[2\], the param is float32 \[1\]/);
      expect(() => opt.update(g(np.array([0], { dtype: "int32" })), state, params)).toThrow(/grads leaf layers\[0\]\.b is int32 \[1\]/);
      expect(() => opt.init({ w: vec([1]), steps: np.array([3], { dtype: "int32" }) })).toThrow(/sgd.init: params leaf steps is int32 \[1\]; optimizers update float32 Arrays only/);
      expect(() => opt.init({ w: vec([1]), scale: 2 })).toThrow(/params leaf scale is number/);
      const other = opt.init({ layers: [{ w: vec([1, 2, 3]), b: vec([0]) }] });
      expect(() => opt.update(g(vec([0])), other, params)).toThrow(/sgd.update: state.momentum leaf layers\[0\]\.w is float32 \[3\], the update is float32 \[2\]/);
      expect(() => opt.update(g(vec([0])), [state[0], state[1], { count: np.array(0) }], params)).toThrow(/sgd.update: state.count must be an int32 scalar Array \(from init\), got float32 \[\]/);
      expect(() => opt.update(g(vec([0])), { count: np.array(0, { dtype: "int32" }) } as never, params)).toThrow(/chain.update: state must be a list of 3 part states \(from init\), got object/);
      const a = adam();
      const [decay, moments, rate] = a.init(params);
      expect(() => a.update(g(vec([0])), [decay, { ...moments, nu: {} }, rate] as never, params)).toThrow(/adam.update: the state.nu tree does not match the updates tree at layers: present vs missing/);
      const w = adamw({ weightDecay: 0.1 });
      expect(() => w.update(g(vec([0])), w.init(params))).toThrow(/adamw.update: params are required \(weight decay reads them\)/);
    }));

  it("inside jit the same checks run at trace time", () =>
    tidy(() => {
      const opt = adamw({ lr: 0.01 });
      const step = jit((grads: unknown, state: ReturnType<typeof opt.init>, params: { w: Array }) => opt.update(grads as never, state, params));
      const params = { w: vec([1, 2]) };
      expect(() => step({ v: vec([1, 2]) }, opt.init(params), params)).toThrow(/adamw.update: the grads tree does not match the params tree at w: present vs missing \(params vs grads\)/);
    }));
});

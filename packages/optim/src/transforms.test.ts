import { Array, jit, np, tidy } from "@mmx/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addDecayedWeights,
  adamw,
  applyUpdates,
  chain,
  clipByGlobalNorm,
  scaleByAdam,
  scaleByLearningRate,
  sgd,
  traceMomentum,
  type GradientTransformation,
} from "./index.js";
import { expectClose } from "./testing-only/close.js";
import { sgdReference } from "./testing-only/reference.js";
import { step } from "./testing-only/step.js";

const vec = (xs: number[]) => np.array(xs);
const valueArb = fc.integer({ min: -2000, max: 2000 }).map((v) => Math.fround(v / 1000));

/** The params after each step of `opt` on { w: init } with these gradients. */
function trajectory<S>(opt: GradientTransformation<S>, init: number[], grads: number[][]): number[][] {
  return tidy(() => {
    let params = { w: vec(init) };
    let state = opt.init(params);
    return grads.map((g) => {
      ({ params, state } = step(opt, { w: vec(g) }, state, params));
      return [...params.w.dataSync()];
    });
  });
}

describe("sgd, adam and adamw are chains of the pieces", () => {
  const init = [1, -2, 0.5, 0];
  const grads = [[0.1, 0.2, -0.3, 1], [1, -1, 0.5, 0], [0.3, 0.3, 0.3, -2]];

  it("sgd with Nesterov momentum and weight decay equals its chain, bit for bit", () => {
    const named = sgd({ lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-2 });
    const composed = chain(addDecayedWeights(1e-2), traceMomentum({ momentum: 0.9, nesterov: true }), scaleByLearningRate(0.1));
    expect(trajectory(composed, init, grads)).toEqual(trajectory(named, init, grads));
  });

  it("adamw is decoupled decay after Adam's direction, bit for bit", () => {
    const named = adamw({ lr: 0.01, weightDecay: 0.1 });
    const composed = chain(scaleByAdam(), addDecayedWeights(0.1), scaleByLearningRate(0.01));
    expect(trajectory(composed, init, grads)).toEqual(trajectory(named, init, grads));
  });

  it("the order of addDecayedWeights decides coupled or decoupled decay: the trajectories differ", () => {
    const coupled = chain(addDecayedWeights(0.1), scaleByAdam(), scaleByLearningRate(0.01));
    const decoupled = chain(scaleByAdam(), addDecayedWeights(0.1), scaleByLearningRate(0.01));
    expect(trajectory(coupled, init, grads)).not.toEqual(trajectory(decoupled, init, grads));
  });
});

describe("the pieces", () => {
  it("scaleByLearningRate: -lr(count) · updates, the count stepping", () =>
    tidy(() => {
      const t = scaleByLearningRate(0.5);
      const s0 = t.init({ w: vec([0]) });
      const r = t.update({ w: vec([2, -4]) }, s0);
      expect([...r.updates.w.dataSync()]).toEqual([-1, 2]);
      expect(r.state.count.item()).toBe(1);
    }));

  it("traceMomentum without momentum passes its updates through and keeps no state", () =>
    tidy(() => {
      const t = traceMomentum({ momentum: 0 });
      const g = { w: vec([1, 2]) };
      expect(t.init(g)).toEqual({});
      expect(t.update(g, {}).updates).toBe(g);
    }));

  it("traceMomentum alone: heavy ball with dampening, as PyTorch's buffer (first step copies)", () =>
    tidy(() => {
      const t = traceMomentum({ momentum: 0.5, dampening: 0.5 });
      let state = t.init({ w: vec([0]) });
      const outs = [[4], [2], [0]].map((g) => {
        const r = t.update({ w: vec(g) }, state);
        state = r.state;
        return r.updates.w.item();
      });
      // buf = 4; 0.5·4 + 0.5·2 = 3; 0.5·3 + 0 = 1.5.
      expect(outs).toEqual([4, 3, 1.5]);
    }));

  it("addDecayedWeights: updates + wd · params", () =>
    tidy(() => {
      const r = addDecayedWeights(0.5).update({ w: vec([1, 1]) }, {}, { w: vec([2, -4]) });
      expect([...r.updates.w.dataSync()]).toEqual([2, -1]);
    }));

  it("clipByGlobalNorm scales every leaf by maxNorm / max(norm, maxNorm) (property, double-precision reference)", () => {
    fc.assert(
      fc.property(fc.array(valueArb, { minLength: 1, maxLength: 5 }), fc.array(valueArb, { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 400 }), (a, b, c) => {
        const maxNorm = c / 100;
        const norm = Math.sqrt([...a, ...b].reduce((s, x) => s + x * x, 0));
        const scale = maxNorm / Math.max(norm, maxNorm);
        tidy(() => {
          const r = clipByGlobalNorm(maxNorm).update({ a: vec(a), nested: [vec(b)] }, {});
          expectClose(r.updates.a.dataSync(), a.map((x) => x * scale), { rtol: 1e-6, atol: 1e-7, what: "a" });
          expectClose(r.updates.nested[0]!.dataSync(), b.map((x) => x * scale), { rtol: 1e-6, atol: 1e-7, what: "nested[0]" });
        });
      }),
      { numRuns: 40 },
    );
  });

  it("clipping first, then sgd: the torch rule on clipped gradients (double-precision reference)", () => {
    const opt = chain(clipByGlobalNorm(1), addDecayedWeights(1e-3), traceMomentum({ momentum: 0.9 }), scaleByLearningRate(0.1));
    const grads = [[3, 4], [0.1, 0.2], [-6, 8]];
    const clipped = grads.map((g) => {
      const n = Math.hypot(...g);
      return g.map((x) => (x * 1) / Math.max(n, 1));
    });
    const want = sgdReference([1, -1], clipped, { lr: () => 0.1, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 1e-3 });
    trajectory(opt, [1, -1], grads).forEach((got, t) => expectClose(got, want[t]!, { rtol: 1e-6, atol: 1e-7, what: `step ${t + 1}` }));
  });

  it("a chain runs under jit with one trace for every step", () => {
    const opt = chain(clipByGlobalNorm(2), scaleByAdam(), scaleByLearningRate(0.01));
    const jitted = jit((grads: { w: Array }, state: ReturnType<typeof opt.init>, params: { w: Array }) => step(opt, grads, state, params));
    tidy(() => {
      let eager = { w: vec([1, 2]) };
      let traced = eager;
      let eagerState = opt.init(eager);
      let tracedState = eagerState;
      for (const g of [[1, -1], [5, 5], [0.5, 0]]) {
        ({ params: eager, state: eagerState } = step(opt, { w: vec(g) }, eagerState, eager));
        ({ params: traced, state: tracedState } = jitted({ w: vec(g) }, tracedState, traced));
        expect([...traced.w.dataSync()]).toEqual([...eager.w.dataSync()]);
      }
      expect(jitted.cacheSize).toBe(1);
    });
  });

  it("applyUpdates adds leaf by leaf and names a mismatch", () =>
    tidy(() => {
      const p = { a: vec([1, 2]), b: [vec([3])] };
      const out = applyUpdates(p, { a: vec([0.5, -0.5]), b: [vec([1])] });
      expect([...out.a.dataSync(), ...out.b[0]!.dataSync()]).toEqual([1.5, 1.5, 4]);
      expect(() => applyUpdates(p, { a: vec([0, 0]), b: [vec([0, 0])] })).toThrow(/applyUpdates: updates leaf b\[0\] is float32 \[2\], the param is float32 \[1\]/);
      expect(() => applyUpdates(p, { a: vec([0, 0]) } as never)).toThrow(/applyUpdates: the updates tree does not match the params tree at b/);
    }));

  it("errors name the piece and the value", () => {
    expect(() => clipByGlobalNorm(0)).toThrow(/clipByGlobalNorm: maxNorm must be a finite number > 0, got 0/);
    expect(() => addDecayedWeights(-1)).toThrow(/addDecayedWeights: weightDecay must be a finite number >= 0, got -1/);
    expect(() => traceMomentum({ momentum: 0.9, nesterov: true, dampening: 0.5 })).toThrow(/traceMomentum: Nesterov momentum requires a momentum and zero dampening/);
    expect(() => scaleByAdam({ betas: [1, 0.9] })).toThrow(/scaleByAdam: betas\[0\] must lie in \[0, 1\), got 1/);
    expect(() => scaleByLearningRate(-1)).toThrow(/scaleByLearningRate: lr must be a finite number > 0 or a Schedule, got -1/);
    expect(() => chain(scaleByAdam(), {} as never)).toThrow(/chain: part 1 is not a gradient transformation/);
    tidy(() => {
      expect(() => addDecayedWeights(0.1).update({ w: vec([1]) }, {})).toThrow(/addDecayedWeights.update: params are required/);
      const t = scaleByAdam();
      expect(() => t.update({ w: vec([1]) }, t.init({ w: vec([1, 2]) }))).toThrow(/scaleByAdam.update: state.mu leaf w is float32 \[2\], the update is float32 \[1\]/);
    });
  });
});

import { readFileSync } from "node:fs";
import { type Array, dispose, getBackend, jit, memory, np, setBackend, tidy } from "@mmx/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adam, adamw, applyUpdates, sgd, type Optimizer, type OptimizerState } from "./index.js";
import { expectClose } from "./testing-only/close.js";
import { step as optimizerStep } from "./testing-only/step.js";

interface Leaf {
  shape: number[];
  data: number[];
}
type Tree = { w: Leaf; b: Leaf };
interface Config {
  optimizer: "sgd" | "adam" | "adamw";
  options: Record<string, number | boolean>;
  init: Tree;
  grads: Tree[];
  steps: Tree[];
  steps_float64: Tree[];
}

const fixture = JSON.parse(readFileSync(new URL("./fixtures/sgd-pytorch.json", import.meta.url), "utf8")) as { configs: Config[] };

/** The fixture's PyTorch options (snake_case) as ours. */
function optimizerFor(c: Config): Optimizer<OptimizerState> {
  const o = c.options as Record<string, never>;
  if (c.optimizer === "sgd") return sgd({ lr: o.lr, momentum: o.momentum, dampening: o.dampening, nesterov: o.nesterov, weightDecay: o.weight_decay });
  return (c.optimizer === "adam" ? adam : adamw)({ lr: o.lr, weightDecay: o.weight_decay });
}

const toTree = (t: Tree) => ({ w: np.array(t.w.data, { shape: t.w.shape }), b: np.array(t.b.data, { shape: t.b.shape }) });
type Params = ReturnType<typeof toTree>;

/*
 * Tolerances. Against PyTorch's float32 run: both sides compute in float32 from the same numbers, but
 * PyTorch's `add_(x, alpha=a)` and `addcdiv_` use fused multiply-adds (one rounding where we round
 * twice), and AdamW's decay and step reach the params as one update where PyTorch rounds the decayed
 * params first, so an element may differ by an ulp of the largest term in a step; over 5 steps, and
 * through a momentum buffer that sums up to 1/(1 - 0.9) = 10 gradients, a few ulps. We allow 8 ulps of max(1, |p|), 9.5e-7 at unit
 * scale: well below any real update (lr·g >= 1e-4 here), so a wrong rule cannot pass.
 * Against the float64 run: float32 rounding only, measured <= 5e-6 relative; we allow 2e-5 relative
 * with 1e-6 absolute for parameters crossing 0.
 */
const EPS32 = 2 ** -23;
const close32 = (got: ArrayLike<number>, want: number[], what: string) =>
  want.forEach((w, i) => {
    const tol = 8 * EPS32 * Math.max(1, Math.abs(w));
    if (!(Math.abs(got[i]! - w) <= tol)) expect.fail(`${what}[${i}]: ${got[i]} vs PyTorch float32 ${w} (|diff| ${Math.abs(got[i]! - w)} > ${tol})`);
  });

for (const backend of ["cpu", "wasm"] as const) {
  describe(`against torch.optim on ${backend} (src/fixtures/sgd-pytorch.json)`, () => {
    beforeAll(() => setBackend(backend));
    afterAll(() => setBackend("cpu"));

    for (const c of fixture.configs) {
      const label = `${c.optimizer} ${JSON.stringify(c.options)}`;

      it(`${label}: every step of the eager update`, () => {
        expect(getBackend()).toBe(backend);
        const opt = optimizerFor(c);
        tidy(() => {
          let params = toTree(c.init);
          let state = opt.init(params);
          c.grads.forEach((g, s) => {
            ({ params, state } = optimizerStep(opt, toTree(g), state, params));
            for (const k of ["w", "b"] as const) {
              const got = params[k].dataSync();
              close32(got, c.steps[s]![k].data, `step ${s + 1} ${k}`);
              expectClose(got, c.steps_float64[s]![k].data, { rtol: 2e-5, atol: 1e-6, what: `step ${s + 1} ${k} vs float64` });
            }
          });
          expect((state as { count: Array }[]).at(-1)!.count.item()).toBe(c.grads.length);
        });
      });

      it(`${label}: the jitted update equals the eager one, one trace for all steps`, () => {
        const opt = optimizerFor(c);
        const step = jit((grads: Params, state: OptimizerState, params: Params) => optimizerStep(opt, grads, state, params));
        tidy(() => {
          let eager = toTree(c.init);
          let jitted = eager;
          let eagerState = opt.init(eager);
          let jitState = eagerState;
          for (const g of c.grads) {
            const grads = toTree(g);
            ({ params: eager, state: eagerState } = optimizerStep(opt, grads, eagerState, eager));
            ({ params: jitted, state: jitState } = step(grads, jitState, jitted));
            for (const k of ["w", "b"] as const) expect([...jitted[k].dataSync()], k).toEqual([...eager[k].dataSync()]);
          }
          expect(step.cacheSize).toBe(1);
        });
      });
    }
  });
}

describe("memory", () => {
  it("an eager update frees its intermediates: only the new params and state remain", () => {
    const c = fixture.configs.find((x) => x.optimizer === "adam")!;
    const opt = optimizerFor(c);
    const params = toTree(c.init);
    const grads = toTree(c.grads[0]!);
    const state = opt.init(params);
    const before = memory().numTensors;
    const out = opt.update(grads, state, params);
    // The updates of w and b, and a state of [{}, { count, mu{w, b}, nu{w, b} }, { count }].
    expect(memory().numTensors - before).toBe(2 + 5 + 1);
    const next = applyUpdates(params, out.updates);
    expect(memory().numTensors - before).toBe(2 + 2 + 5 + 1);
    dispose([out, next, params, grads, state]);
  });
});

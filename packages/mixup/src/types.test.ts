import { describe, expectTypeOf, it } from "vitest";
import { np, type NDArray } from "@mmx/core";
import type { Optimizer, SgdState } from "@mmx/optim";
import { mixup, trainStep, type TrainState } from "./index.js";

/**
 * mixup and trainStep carry the model's params type. `tsc --noEmit` checks this file; each `@ts-expect-error`
 * fails the typecheck if the line below it stops being an error.
 */
type Params = { w: NDArray; b: NDArray };
const model = (p: Params, x: NDArray) => np.add(np.matmul(x, p.w), p.b);

describe("mixup and trainStep types", () => {
  it("mixup(k, λ)(f) takes f's params type, not any", () => {
    const mixed = mixup(0, 0.5)(model);
    expectTypeOf(mixed).parameter(0).toEqualTypeOf<Params>();
    // Never called: only typechecked.
    const misuse = (x: NDArray) => {
      // @ts-expect-error a string is not the model's params
      mixed("params", x, x, [0]);
    };
    expectTypeOf(misuse).toBeFunction();
  });

  it("trainStep's state carries the params type from init", () => {
    const typed = { apply: (p: Params, x: NDArray) => ({ out: model(p, x), state: {} }) };
    const step = trainStep({ model: typed, loss: (o: NDArray) => np.sum(o), optimizer: undefined as unknown as Optimizer<SgdState> });
    const check = (params: Params, x: NDArray, y: NDArray) => {
      const state = step.init(params);
      expectTypeOf(state).toEqualTypeOf<TrainState<Params, SgdState>>();
      expectTypeOf(step(state, x, y, undefined as never).state.params).toEqualTypeOf<Params>();
      // @ts-expect-error init takes the model's params
      step.init({ w: x });
    };
    expectTypeOf(check).toBeFunction();
  });
});

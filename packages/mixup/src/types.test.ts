import { describe, expectTypeOf, it } from "vitest";
import { np, type NDArray } from "@mmx/core";
import * as nn from "@mmx/nn";
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

  it("an @mmx/nn model's params are a ParamTree: mixup and trainStep reject a string at compile time", () => {
    const net = nn.mlp([2, 4, 2]);
    const forward = (p: nn.ParamTree, x: NDArray) => net.apply(p, x).out;
    const mixed = mixup(1, 0.5)(forward);
    expectTypeOf(mixed).parameter(0).toEqualTypeOf<nn.ParamTree>();
    expectTypeOf(net.init).returns.toHaveProperty("params").toEqualTypeOf<nn.ParamTree>();
    const step = trainStep({ model: net, loss: (o: NDArray) => np.sum(o), optimizer: undefined as unknown as Optimizer<SgdState> });
    // Never called: only typechecked.
    const misuse = (x: NDArray, y: NDArray) => {
      // @ts-expect-error a string is not a params tree
      mixed("params", x, y, [0]);
      // @ts-expect-error nor a number, in a nested record
      mixed({ dense: { weight: 3 } }, x, y, [0]);
      // @ts-expect-error the model itself rejects it
      net.apply("params", x);
      // @ts-expect-error trainStep's init takes the model's params
      step.init("params");
      // @ts-expect-error a ParamTree-typed model function cannot be called with unknown params either
      forward(JSON.parse("{}") as unknown, x);
      // A params tree of the model's own init, or a plain record of arrays, is accepted.
      mixed(net.init(undefined as never, [-1, 2]).params, x, y, [0]);
      mixed({ dense: { weight: x, bias: y } }, x, y, [0]);
      step.init({ layers: [x, { w: y }] });
    };
    expectTypeOf(misuse).toBeFunction();
  });
});

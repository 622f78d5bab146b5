import { describe, expectTypeOf, it } from "vitest";
import { grad, jit, np, valueAndGrad, vjp, type Array as JaxName, type NDArray } from "./index.js";

/**
 * The transforms' types follow the function they transform. `tsc --noEmit` (npm run typecheck) checks this file:
 * each `@ts-expect-error` fails the typecheck if the line below it stops being an error, so a regression to
 * `any` fails to compile, not only these assertions.
 */
type Params = { w: NDArray; b: NDArray; layers: [{ scale: NDArray }] };
const loss = (p: Params, x: NDArray, y: NDArray) => np.mean(np.square(np.sub(np.add(np.matmul(x, p.w), p.b), y)));
const withAux = (p: Params, x: NDArray) => [np.sum(np.matmul(x, p.w)), { logits: x }] as [NDArray, { logits: NDArray }];

describe("transform types", () => {
  it("grad of (p: Params, ...) => NDArray is a Params, with no annotation", () => {
    expectTypeOf(grad(loss)).parameters.toEqualTypeOf<[Params, NDArray, NDArray]>();
    expectTypeOf(grad(loss)).returns.toEqualTypeOf<{ w: NDArray; b: NDArray; layers: [{ scale: NDArray }] }>();
    // Never called: only typechecked.
    const misuse = (p: Params, x: NDArray) => {
      // @ts-expect-error a gradient has no fields its params lack
      grad(loss)(p, x, x).bias;
      // @ts-expect-error the arguments are checked against f's
      grad(loss)("params", x, x);
    };
    expectTypeOf(misuse).toBeFunction();
  });

  it("argnums picks the gradients' types, one or a tuple", () => {
    expectTypeOf(grad(loss, { argnums: 1 })).returns.toEqualTypeOf<NDArray>();
    expectTypeOf(grad(loss, { argnums: [0, 2] })).returns.toEqualTypeOf<[{ w: NDArray; b: NDArray; layers: [{ scale: NDArray }] }, NDArray]>();
  });

  it("hasAux and valueAndGrad carry the value and the aux", () => {
    expectTypeOf(grad(withAux, { hasAux: true })).returns.toEqualTypeOf<[{ w: NDArray; b: NDArray; layers: [{ scale: NDArray }] }, { logits: NDArray }]>();
    expectTypeOf(valueAndGrad(loss)).returns.toEqualTypeOf<[NDArray, { w: NDArray; b: NDArray; layers: [{ scale: NDArray }] }]>();
    expectTypeOf(valueAndGrad(withAux, { hasAux: true })).returns.toEqualTypeOf<[[NDArray, { logits: NDArray }], { w: NDArray; b: NDArray; layers: [{ scale: NDArray }] }]>();
  });

  it("vjp types its output and its pullback from f", () => {
    const f = (a: NDArray, p: { s: NDArray }) => ({ out: np.mul(a, p.s) });
    const check = () => {
      const [out, pullback] = vjp(f, np.ones([2]), { s: np.ones([2]) });
      expectTypeOf(out).toEqualTypeOf<{ out: NDArray }>();
      expectTypeOf(pullback).parameters.toEqualTypeOf<[{ out: NDArray }]>();
      expectTypeOf(pullback).returns.toEqualTypeOf<[NDArray, { s: NDArray }]>();
      // @ts-expect-error the primals are checked against f's parameters
      vjp(f, np.ones([2]), "s");
    };
    expectTypeOf(check).toBeFunction();
  });

  it("jit keeps the function's own type, generics included", () => {
    const step = jit((p: Params, x: NDArray) => ({ ...p, w: np.add(p.w, np.sum(x)) }));
    expectTypeOf(step).parameters.toEqualTypeOf<[Params, NDArray]>();
    expectTypeOf(step).returns.toEqualTypeOf<{ w: NDArray; b: NDArray; layers: [{ scale: NDArray }] }>();
    const identity = jit(<T,>(t: T): T => t);
    expectTypeOf(identity({ a: np.ones([1]) })).toEqualTypeOf<{ a: NDArray }>();
    expectTypeOf(step.cacheSize).toBeNumber();
  });

  it("NDArray is the array class's name; Array is the same class and does not replace the global one here", () => {
    expectTypeOf<JaxName>().toEqualTypeOf<NDArray>();
    expectTypeOf(Array.from([1, 2])).toEqualTypeOf<number[]>();
  });
});

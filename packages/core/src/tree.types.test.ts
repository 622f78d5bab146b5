import { describe, expectTypeOf, it } from "vitest";
import { np, ShapedArray, tree, type NDArray, type PyTree } from "./index.js";

/**
 * `tree.map` types its callback's leaves from the trees and its result from the callback. `tsc --noEmit`
 * (npm run typecheck) checks this file; each `@ts-expect-error` fails the typecheck if the line below it
 * stops being an error, so a regression to `any` fails to compile.
 */
type Params = { w: NDArray; b: NDArray; layers: [{ scale: NDArray }] };
/** A recursive tree type, as @mmx/nn's ParamTree is. */
type Nested = NDArray | readonly Nested[] | { readonly [name: string]: Nested };

describe("tree.map types", () => {
  it("the callback's leaf is the tree's leaf type with no annotation, and the result follows its return", () => {
    const check = (params: Params) => {
      const doubled = tree.map((a) => np.mul(a, 2), params);
      tree.map((a) => expectTypeOf(a).toEqualTypeOf<NDArray>(), params);
      expectTypeOf(doubled).toEqualTypeOf<{ w: NDArray; b: NDArray; layers: [{ scale: NDArray }] }>();
      expectTypeOf(tree.map((a) => a.size, params)).toEqualTypeOf<{ w: number; b: number; layers: [{ scale: number }] }>();
      // @ts-expect-error the result has the tree's fields, no others
      doubled.bias;
      // @ts-expect-error a leaf is an array, not a string
      tree.map((a) => a.toUpperCase(), params);
      // @ts-expect-error an annotation unrelated to the leaves fails to compile
      tree.map((a: string) => a, params);
    };
    expectTypeOf(check).toBeFunction();
  });

  it("mixed leaves are a union; null and undefined are empty subtrees; class instances are leaves", () => {
    const check = (t: { lr: number; w: NDArray; skip: null; bias?: NDArray; aval: ShapedArray }) => {
      tree.map((l) => expectTypeOf(l).toEqualTypeOf<number | NDArray | ShapedArray>(), t);
      expectTypeOf(tree.map(() => "x", t)).toEqualTypeOf<{ lr: string; w: string; skip: null; bias?: string; aval: string }>();
    };
    expectTypeOf(check).toBeFunction();
  });

  it("each further tree types its own parameter", () => {
    const check = (params: Params, grads: Params, lrs: { w: number; b: number; layers: [{ scale: number }] }) => {
      const stepped = tree.map((p, g, lr) => np.sub(p, np.mul(g, lr)), params, grads, lrs);
      tree.map((p, g, lr) => expectTypeOf<[typeof p, typeof g, typeof lr]>().toEqualTypeOf<[NDArray, NDArray, number]>(), params, grads, lrs);
      expectTypeOf(stepped).toEqualTypeOf<{ w: NDArray; b: NDArray; layers: [{ scale: NDArray }] }>();
      const stacked = tree.map((...ls) => np.stack(ls), params, ...[grads, grads]);
      expectTypeOf(stacked).toEqualTypeOf<{ w: NDArray; b: NDArray; layers: [{ scale: NDArray }] }>();
      // @ts-expect-error the second tree's leaves are numbers
      tree.map((p: NDArray, lr: string) => np.mul(p, lr), params, lrs);
    };
    expectTypeOf(check).toBeFunction();
  });

  it("a recursive tree type has its leaves' type, and maps back to itself", () => {
    const check = (params: Nested) => {
      tree.map((a) => expectTypeOf(a).toEqualTypeOf<NDArray>(), params);
      const copy: Nested = tree.map((a) => np.add(a, 0), params);
      expectTypeOf(copy).toMatchTypeOf<Nested>();
    };
    expectTypeOf(check).toBeFunction();
  });

  it("a tree whose type says nothing has unknown leaves (not any); the caller may say what they are", () => {
    const check = (t: PyTree) => {
      tree.map((a) => expectTypeOf(a).toBeUnknown(), t);
      // @ts-expect-error an unknown leaf is not an operand until the caller says so
      tree.map((a) => np.mul(a, 2), t);
      expectTypeOf(tree.map((a: NDArray) => np.mul(a, 2), t)).toBeUnknown();
    };
    expectTypeOf(check).toBeFunction();
  });
});

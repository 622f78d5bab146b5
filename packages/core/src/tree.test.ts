import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { tree } from "./index.js";

const leafy = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: "small" }, fc.integer(), fc.constant(null), fc.array(tie("node"), { maxLength: 3 }), fc.dictionary(fc.string({ minLength: 1, maxLength: 3 }), tie("node"), { maxKeys: 3 })),
})).node;

describe("pytrees", () => {
  it("flatten then unflatten is the identity", () => {
    fc.assert(
      fc.property(leafy, (t) => {
        const [leaves, def] = tree.flatten(t);
        expect(tree.unflatten(def, leaves)).toEqual(t);
        expect(def.numLeaves).toBe(leaves.length);
      }),
    );
  });

  it("visits object keys in sorted order, whatever order they were written in", () => {
    expect(tree.leaves({ b: 2, a: 1, c: [3, { z: 5, y: 4 }] })).toEqual([1, 2, 3, 4, 5]);
    expect(tree.structure({ b: 1, a: 2 }).equals(tree.structure({ a: 0, b: 0 }))).toBe(true);
  });

  it("maps over several trees leafwise", () => {
    expect(tree.map((a: number, b: number) => a + b, { x: 1, y: [2, 3] }, { x: 10, y: [20, 30] })).toEqual({ x: 11, y: [22, 33] });
  });

  it("names the first path where two trees differ", () => {
    expect(() => tree.map((a: number) => a, { w: 1, layers: [{ b: 1 }] }, { w: 1, layers: [{ c: 1 }] })).toThrow("tree.map: tree 1 does not match tree 0 at layers[0].b: present vs missing");
    expect(() => tree.map((a: number) => a, [1, 2], [1])).toThrow("at <root>: a list of 2 vs a list of 1");
  });

  it("lists leaf paths", () => {
    expect(tree.leafPaths(tree.structure({ w: 1, layers: [{ b: 1 }, 2] }))).toEqual(["layers[0].b", "layers[1]", "w"]);
  });
});

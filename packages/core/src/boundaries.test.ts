import { describe, expect, it } from "vitest";
import { boundariesOf, describeBoundaries, jit, makeJaxpr, np, resolveBoundary, ShapedArray, tag, tagEquations, type Array } from "./index.js";

const f = (w: Array, x: Array) => tag(np.tanh(tag(np.matmul(x, w), "a")), "b");
const closed = makeJaxpr(f)(new ShapedArray([3, 4], "float32"), new ShapedArray([5, 3], "float32"));

describe("boundaries: one definition, read from a program's tags", () => {
  it("0 is the named input, i >= 1 the i-th tag in program order", () => {
    expect(tagEquations(closed.jaxpr).map((e) => e.params.name)).toEqual(["a", "b"]);
    expect(boundariesOf(closed.jaxpr, 1)).toEqual([
      { index: 0, name: "input", shape: [5, 3] },
      { index: 1, name: "a", shape: [5, 4] },
      { index: 2, name: "b", shape: [5, 4] },
    ]);
    expect(() => boundariesOf(closed.jaxpr, 2)).toThrow("boundariesOf: the program has 2 inputs, not 3");
  });

  it("resolves an index or a name, and an error lists the boundaries", () => {
    const list = boundariesOf(closed.jaxpr, 1);
    expect(resolveBoundary("t", "b", list)).toBe(2);
    expect(resolveBoundary("t", 0, list)).toBe(0);
    expect(describeBoundaries(list)).toBe("0 input [5,3]; 1 a [5,4]; 2 b [5,4]");
    expect(() => resolveBoundary("t", 3, list)).toThrow("t: layer 3 is out of range; the model has 3 boundaries: 0 input [5,3]; 1 a [5,4]; 2 b [5,4]");
    expect(() => resolveBoundary("t", "c", list)).toThrow('t: no boundary is named "c"; the model has: 0 input [5,3]; 1 a [5,4]; 2 b [5,4]');
    const twice = boundariesOf(makeJaxpr((x: Array) => tag(tag(x, "same"), "same"))(new ShapedArray([2], "float32")).jaxpr, 0);
    expect(() => resolveBoundary("t", "same", twice)).toThrow('t: the name "same" marks 2 boundaries (1, 2); pass an index');
  });

  it("a traced boundary (k passed to jit without staticArgnums) is an error that says to make it static", () => {
    const list = boundariesOf(closed.jaxpr, 1);
    const step = jit((k: number, x: Array) => np.mul(x, resolveBoundary("mixup", k, list)));
    expect(() => step(1, np.ones([2]))).toThrow(
      "mixup: the boundary must be an index or a tag name, known when the model is traced; got an array float32[] (a number passed to a jitted function is traced: make that argument static, jit(f, { staticArgnums: [i] }))",
    );
    expect(jit((k: number, x: Array) => np.mul(x, resolveBoundary("mixup", k, list)), { staticArgnums: [0] })(2, np.ones([2])).dataSync()).toEqual(new Float32Array([2, 2]));
    expect(() => resolveBoundary("t", { k: 1 } as unknown as number, list)).toThrow("t: the boundary must be an index or a tag name, known when the model is traced; got an object of class Object");
  });
});

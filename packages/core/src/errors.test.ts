import { describe, expect, it } from "vitest";
import { ConcretizationError, EscapedTracerError, grad, jit, lax, makeJaxpr, namedScope, np, setBackend, ShapedArray, ShapeError, UnknownBackendError, type Array as MxArray } from "./index.js";

describe("bad input gives errors that name the culprit", () => {
  it("mismatched shapes name the primitive and both shapes, eagerly and at trace time", () => {
    expect(() => np.add(np.ones([2, 3]), np.ones([4]))).toThrow(ShapeError);
    expect(() => np.add(np.ones([2, 3]), np.ones([4]))).toThrow("add: shapes f32[2,3] and f32[4] do not broadcast");
    const f = (a: MxArray, b: MxArray) => np.matmul(a, b);
    expect(() => makeJaxpr(f)(new ShapedArray([2, 3], "float32"), new ShapedArray([4, 5], "float32"))).toThrow("matmul: inner dimensions differ: f32[2,3] @ f32[4,5] (3 vs 4)");
  });

  it("inside a layer's named scope, the error names the layer", () => {
    const layer = (x: MxArray) => namedScope("block1", () => namedScope("conv", () => lax.conv(x, np.ones([3, 3, 4, 8]), { padding: "SAME" })));
    expect(() => makeJaxpr(layer)(new ShapedArray([1, 8, 8, 3], "float32"))).toThrow(
      'conv: input channels 3 of f32[1,8,8,3] do not match the filter\'s input channels 4 of f32[3,3,4,8] (in layer "block1.conv")',
    );
  });

  it("feature groups that do not divide the channels name the groups and both shapes", () => {
    const x = new ShapedArray([1, 8, 8, 6], "float32");
    const conv = (w: number[], groups: number) => makeJaxpr((a: MxArray) => lax.conv(a, np.ones(w), { groups }))(x);
    expect(() => conv([3, 3, 2, 8], 2)).toThrow("conv: input channels 6 of f32[1,8,8,6] do not match 2 groups of the filter's 2 input channels of f32[3,3,2,8]");
    expect(() => conv([3, 3, 2, 8], 3)).toThrow("conv: output channels 8 of f32[3,3,2,8] do not split into 3 groups");
    expect(() => conv([3, 3, 2, 6], 0)).toThrow("conv groups must be a positive integer, got 0");
  });

  it("wrong dtypes say which and how to fix it", () => {
    expect(() => np.add(np.ones([2]), np.ones([2], "int32"))).toThrow("add: operand dtypes differ: f32[2] and i32[2] (convert one with np.astype)");
    expect(() => np.log(np.ones([2], "int32"))).toThrow("log: needs a float32 operand, got i32[2]");
    expect(() => np.take(np.ones([3]), np.ones([2]))).toThrow("np.take: indices must be int32, got f32[2]");
  });

  it("an unknown backend lists the registered ones", async () => {
    await expect(setBackend("tpu")).rejects.toThrow(UnknownBackendError);
    // core's own backends; a package's (onnx) is registered only where that package is imported.
    await expect(setBackend("tpu")).rejects.toThrow(
      `unknown backend "tpu"; valid backends are 'cpu', 'wasm', 'webgl', 'webgpu', 'tensorflow' (a package that provides another registers it when imported)`,
    );
    await expect(setBackend("onnx")).rejects.toThrow(UnknownBackendError);
    // A backend of mmx's own packages, named before its package is imported, says which import it needs.
    await expect(setBackend("onnx")).rejects.toThrow(/^backend "onnx" is provided by @mmx\/onnx, which is not loaded: add `import "@mmx\/onnx";` before using it \(registered now: 'cpu', /);
  });

  it("grad of a non-scalar, or with respect to integers, says so", () => {
    expect(() => grad((x: MxArray) => np.exp(x))(np.ones([3]))).toThrow("grad: f must return a float32 scalar, got f32[3]; use vjp for other outputs");
    expect(() => grad((p: { n: MxArray }) => np.sum(np.astype(p.n, "float32")))({ n: np.ones([2], "int32") })).toThrow(/cannot differentiate with respect to i32\[2\] \(argument 0 at \[0\]\.n\)/);
    expect(() => grad((x: MxArray) => np.sum(x), { argnums: 2 })(np.ones([1]))).toThrow("grad: argnums 2 is out of range for 1 argument(s)");
  });

  it("reading a traced value, or keeping a tracer past its transform, is a clear error", () => {
    expect(() => grad((x: MxArray) => np.mul(x, x.item()))(np.array(2))).toThrow(ConcretizationError);
    let leaked: MxArray | null = null;
    makeJaxpr((x: MxArray) => {
      leaked = np.exp(x);
      return leaked;
    })(new ShapedArray([2], "float32"));
    expect(() => np.add(leaked!, 1)).toThrow(EscapedTracerError);
  });

  it("a disposed array, a ragged list or a bad reshape names the problem", () => {
    const a = np.ones([2]);
    a.dispose();
    expect(() => np.add(a, 1)).toThrow(/^add: the array f32\[2\] was freed by dispose\(\) at .*errors\.test\.ts:\d+:\d+; it can no longer be read/);
    expect(() => np.array([[1, 2], [3]])).toThrow("np.array: ragged nested array at values[1] (shape [1] vs [2])");
    expect(() => np.array([1, 2, 3], { shape: [2, 2] })).toThrow("np.array: 3 values do not fill shape [2,2] (4 elements)");
    expect(() => np.reshape(np.ones([2, 3]), [4, -1])).toThrow("np.reshape: cannot reshape f32[2,3] to [4,-1]");
    expect(() => np.sum(np.ones([2]), { axis: 3 })).toThrow("np.sum: axis 3 is out of range for an array of rank 1");
  });

  it("a failing kernel in a jitted program names the primitive and layer", () => {
    // conv with both strides and dilation above 1 is a tfjs limitation, found when the program runs.
    const f = jit((x: MxArray, w: MxArray) => namedScope("stem", () => lax.conv(x, w, { strides: 2, dilation: 2, padding: "SAME" })));
    expect(() => f(np.ones([1, 9, 9, 1]), np.ones([3, 3, 1, 1]))).toThrow(/jit: conv in layer "stem" failed on cpu: conv: tfjs cannot combine strides \[2,2\] with dilation \[2,2\]/);
    // The same for a grouped conv that runs as tfjs's depthwise kernel (one input channel per group).
    const depthwise = (x: MxArray, w: MxArray) => lax.conv(x, w, { strides: 2, dilation: 2, padding: "SAME", groups: 2 });
    expect(() => depthwise(np.ones([1, 9, 9, 2]), np.ones([3, 3, 1, 4]))).toThrow(/conv: tfjs cannot combine strides \[2,2\] with dilation \[2,2\]/);
  });
});

describe("numerics found by users", () => {
  it("lessEqual and greaterEqual include equality", () => {
    expect(Array.from(np.greaterEqual(np.array([1, 2, 3]), 2).dataSync())).toEqual([0, 1, 1]);
    expect(Array.from(np.lessEqual(np.array([1, 2, 3]), 2).dataSync())).toEqual([1, 1, 0]);
  });

  it("logSoftmax keeps the digits of large logits", () => {
    const out = Array.from(np.logSoftmax(np.array([[1e4, 9999, -1e4]])).dataSync());
    expect(out[0]).toBeCloseTo(-0.3132617, 6);
    expect(out[1]).toBeCloseTo(-1.3132617, 6);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AsyncProgramError, dispose, grad, jit, np, setBackend, type Array } from "@mmx/core";
import "./index.js";
import { nodeBinding } from "./binding-node.js";
import { setBindingFactory, type OnnxRuntimeBinding } from "./runtime.js";

/**
 * The path programs take on a runtime that only answers asynchronously (onnxruntime-web in a browser), exercised in
 * Node on onnxruntime-node's binding with its synchronous entry points taken away: compiling stays synchronous, the
 * plain call says to use callAsync, and callAsync runs the same graph.
 */
function asynchronousOnly(): OnnxRuntimeBinding {
  const inner = nodeBinding();
  return {
    name: `${inner.name}, asynchronous only`,
    createSession: async (model) => {
      const { runInto: _sync, ...session } = await inner.createSession(model);
      return session;
    },
  };
}

beforeAll(async () => {
  await setBackend("onnx");
  setBindingFactory(asynchronousOnly);
});
afterAll(async () => {
  setBindingFactory(nodeBinding);
  await setBackend("cpu");
});

describe("a jitted function on an asynchronous ONNX runtime", () => {
  it("refuses the plain call, naming callAsync", () => {
    const f = jit((x: Array) => np.mul(x, 2));
    const x = np.array([1, 2]);
    expect(() => f(x)).toThrow(AsyncProgramError);
    expect(() => f(x)).toThrow(/runs programs asynchronously on onnxruntime-node .*asynchronous only: call `await f.callAsync\(\.\.\.\)`/);
    x.dispose();
  });

  it("runs a gradient step with callAsync, numbers and trees included", async () => {
    const loss = (w: Array, x: Array) => np.sum(np.square(np.sub(np.mul(x, w), 1)));
    const step = jit((w: Array, x: Array, lr: number) => np.sub(w, np.mul(grad(loss)(w, x), lr)));
    const w = np.array([0.5, -1]);
    const x = np.array([1, 2]);
    const next = await step.callAsync(w, x, 0.1);
    // d/dw (x·w - 1)² = 2x(x·w - 1): [2·1·(-0.5), 2·2·(-3)] = [-1, -12]
    expect(globalThis.Array.from(await next.data())).toEqual([expect.closeTo(0.6, 6), expect.closeTo(0.2, 6)]);
    const tree = jit((p: { a: Array; b: Array }) => ({ sum: np.add(p.a, p.b), a: p.a }));
    const out = await tree.callAsync({ a: w, b: x });
    expect(globalThis.Array.from(await out.sum.data())).toEqual([1.5, 1]);
    dispose([w, x, next, out.sum, out.a]);
  });
});

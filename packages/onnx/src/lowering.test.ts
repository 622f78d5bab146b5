import { afterAll, describe, expect, it } from "vitest";
import { bind, dispose, grad, jit, lax, np, setBackend, vjp, type Array } from "@mmx/core";
import { expectAllClose } from "../../core/src/test-util/close.js";
import { traceMomentum } from "@mmx/optim";
import { DEFAULT_LOWERING_OPTIONS, lowerToOnnx } from "./index.js";

/**
 * The lowering's own choices: the scatter paths the case table's small shapes do not reach, dtypes
 * onnxruntime lacks kernels for, and the fused forms of common patterns (checked on the graph, and
 * for agreement with tfjs's cpu backend).
 */
afterAll(async () => {
  await setBackend("cpu");
});

/** Runs a jitted f on cpu and on onnx with the same inputs; returns both outputs' values. */
async function onBoth(f: (...xs: Array[]) => Array | Array[], make: () => Array[]) {
  const out: number[][][] = [];
  for (const backend of ["cpu", "onnx"]) {
    await setBackend(backend);
    const xs = make();
    const r = jit(f)(...xs);
    const list = globalThis.Array.isArray(r) ? r : [r];
    out.push(list.map((a) => globalThis.Array.from(a.dataSync(), Number)));
    dispose([xs, list]);
  }
  return { cpu: out[0]!, onnx: out[1]! };
}

const opTypes = (f: (...xs: Array[]) => unknown, ...args: Array[]) => lowerToOnnx(jit(f).lower(...(args as never[]))).model.graph.node.map((n) => n.op_type);

describe("scatter_add", () => {
  const lcg = (seed: number) => () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  it("sums duplicates on the ScatterElements path (many indices into a large axis)", async () => {
    const rand = lcg(7);
    const count = 5000;
    const size = 3000; // count·size is past the one-hot limit
    const idx = Int32Array.from({ length: count }, () => Math.floor(rand() * 40) * 7); // many repeats
    const vals = Float32Array.from({ length: count }, () => rand() * 2 - 1);
    const f = (u: Array, i: Array) => np.scatterAdd(u, i, size);
    const { cpu, onnx } = await onBoth(f, () => [np.array(vals, { shape: [count] }), np.array(idx, { dtype: "int32" })]);
    expectAllClose(onnx[0]!, cpu[0]!, { rtol: 1e-5, atol: 1e-5, what: "scatter_add" });
    expect(opTypes(f, np.array(vals, { shape: [count] }), np.array(idx, { dtype: "int32" }))).toContain("ScatterElements");
  });

  it("sums duplicate rows on the ScatterND path, along a middle axis", async () => {
    const rand = lcg(9);
    const count = 2100;
    const size = 600;
    const idx = Int32Array.from({ length: count }, () => Math.floor(rand() * 50));
    const vals = Float32Array.from({ length: 2 * count * 3 }, () => rand() * 2 - 1);
    const f = (u: Array, i: Array) => np.scatterAdd(u, i, size, 1);
    const make = () => [np.array(vals, { shape: [2, count, 3] }), np.array(idx, { dtype: "int32" })];
    const { cpu, onnx } = await onBoth(f, make);
    expectAllClose(onnx[0]!, cpu[0]!, { rtol: 1e-5, atol: 1e-5, what: "scatter_add rows" });
    expect(opTypes(f, ...make())).toContain("ScatterND");
  });

  it("a gather's gradient (mixup's permutation) scatters its rows, duplicates summed", async () => {
    const f = (x: Array, p: Array) => grad((a: Array) => np.sum(np.mul(np.take(a, p, 0), np.reshape(np.arange(12, undefined, 1, "float32"), [4, 3]))))(x);
    const make = () => [np.array(Float32Array.from({ length: 12 }, (_, i) => i), { shape: [4, 3] }), np.array([2, 0, 2, 1], { dtype: "int32" })];
    const { cpu, onnx } = await onBoth(f, make);
    expectAllClose(onnx[0]!, cpu[0]!, { what: "gather gradient" });
    const ops = opTypes(f, ...make());
    expect(ops).toContain("ScatterND");
    expect(ops).not.toContain("Gemm");
  });
});

describe("dtypes onnxruntime has no kernel for are converted around", () => {
  it("order comparisons, max/min reductions and argmax of bool arrays; int32 and bool pads and maxima", async () => {
    const f = (b: Array, c: Array, i: Array) => [
      np.astype(np.less(b, c), "int32"),
      np.astype(np.greaterEqual(b, c), "int32"),
      np.astype(np.equal(b, c), "int32"),
      np.astype(np.max(b, { axis: 1 }), "int32"),
      np.astype(np.min(b, { axis: 0 }), "int32"),
      np.argmax(b, 1),
      np.pad(i, [[1, 0], [0, 2]], 7),
      np.astype(np.pad(b, [[0, 1], [1, 0]], 1), "int32"),
      np.maximum(i, np.astype(b, "int32")),
      np.sum(i, { axis: [0] }),
    ];
    const make = () => [np.array([[true, false, true], [false, false, true]]), np.array([[false, false, true], [true, false, false]]), np.array([[3, -1, 2], [0, 5, -4]], { dtype: "int32" })];
    const { cpu, onnx } = await onBoth(f, make);
    onnx.forEach((o, i) => expect(o, `output ${i}`).toEqual(cpu[i]));
    // Equal of bools too runs on int32: onnxruntime-web's WebGPU provider gets a second bool Equal of a session wrong.
    expect(opTypes((b: Array, c: Array) => np.equal(b, c), ...make().slice(0, 2))).toEqual(["Cast", "Cast", "Equal"]);
  });
});

describe("fused forms", () => {
  it("the relu primitive is Relu, and its gradient needs no materialised zeros", async () => {
    const relu = (x: Array) => lax.relu(x);
    const f = (x: Array, w: Array) => grad((a: Array) => np.sum(np.mul(relu(np.matmul(x, a)), 2)))(w);
    const make = () => [np.array([[1, -2, 3], [0, 1, -1]]), np.array([[0.5, -1], [2, 0.25], [-1, 1]])];
    const { cpu, onnx } = await onBoth(f, make);
    expectAllClose(onnx[0]!, cpu[0]!, { what: "relu gradient" });
    const ops = opTypes((x: Array) => relu(x), np.array([1, -1]));
    expect(ops).toEqual(["Relu"]);
    expect(opTypes(f, ...make())).not.toContain("Expand");
  });

  it("max-pool gradients with disjoint windows use no indices and no scatter, ties go to the first maximum", async () => {
    const f = (x: Array) => grad((a: Array) => np.sum(np.mul(lax.maxPool(a, 2, { padding: "SAME" }), np.reshape(np.arange(1, 7, 1, "float32"), [1, 2, 3, 1]))))(x);
    // 3x5 input, SAME padding: the last row and column windows are partly padding; windows hold ties.
    const values = [1, 1, 0, 2, -1, 1, 1, 0, 2, -3, 4, 4, 4, 4, -2];
    const make = () => [np.array(values, { shape: [1, 3, 5, 1] })];
    const { cpu, onnx } = await onBoth(f, make);
    expect(onnx[0]).toEqual(cpu[0]);
    const ops = opTypes(f, ...make());
    expect(ops).not.toContain("ScatterElements");
    expect(ops).not.toContain("ScatterND");
    expect(ops.filter((o) => o === "MaxPool").length).toBe(1);
    // No logic on two bool tensors: onnxruntime-web's WebGPU provider gets a second such op of a session wrong.
    expect(ops.filter((o) => ["And", "Or", "Xor"].includes(o))).toEqual([]);
  });

  it("a max-pool gradient sends a non-finite cotangent to the first maximum of a window of ties only", async () => {
    // 2x2 windows: all tied, tied after the first position, a single maximum, a tie on the last two positions.
    const values = [0, 0, 1, 2, 3, 3, 0, 5, 0, 0, 2, 1, 1, 1, 7, 7];
    const f = (x: Array, g: Array) => vjp((a: Array) => lax.maxPool(a, 2), x)[1](g)[0]!;
    const make = () => [np.array(values, { shape: [1, 4, 4, 1] }), np.array([Infinity, Number.NaN, -Infinity, 2], { shape: [1, 2, 2, 1] })];
    const { cpu, onnx } = await onBoth(f, make);
    expect(onnx[0]).toEqual(cpu[0]);
    expect(onnx[0]!.filter((v) => v !== 0)).toHaveLength(4);
  });

  it("overlapping max-pool windows take the general path, and agree", async () => {
    const f = (x: Array) => grad((a: Array) => np.sum(np.square(lax.maxPool(a, 3, { strides: 1, padding: "SAME" }))))(x);
    const make = () => [np.array(Float32Array.from({ length: 2 * 5 * 4 * 3 }, (_, i) => Math.sin(i * 1.3)), { shape: [2, 5, 4, 3] })];
    const { cpu, onnx } = await onBoth(f, make);
    expectAllClose(onnx[0]!, cpu[0]!, { what: "overlapping max-pool gradient" });
  });

  it("bias gradients and row sums are Gemms with a vector of ones; other sums stay ReduceSum", async () => {
    const x = np.array(Float32Array.from({ length: 4 * 3 * 5 }, (_, i) => Math.cos(i)), { shape: [4, 3, 5] });
    expect(opTypes((a: Array) => np.sum(a, { axis: [0, 1] }), x)).toEqual(["Reshape", "Gemm", "Reshape"]);
    expect(opTypes((a: Array) => np.sum(a, { axis: [2] }), x)).toEqual(["Reshape", "Gemm", "Reshape"]);
    expect(opTypes((a: Array) => np.sum(a, { axis: [1] }), x)).toEqual(["ReduceSum"]);
    for (const axis of [[0, 1], [2], [1], [0, 2], [0, 1, 2]]) {
      const { cpu, onnx } = await onBoth((a: Array) => np.sum(a, { axis }), () => [np.array(x.dataSync() as Float32Array, { shape: [4, 3, 5] })]);
      expectAllClose(onnx[0]!, cpu[0]!, { what: `sum over ${axis}` });
    }
    x.dispose();
  });

  it("each conv gradient is one node of standard ONNX (no training ops)", () => {
    const x = np.zeros([2, 6, 6, 3]);
    const w = np.zeros([3, 3, 3, 4]);
    const ops = opTypes((a: Array, b: Array) => grad((p: [Array, Array]) => np.sum(lax.conv(p[0], p[1], { strides: 2, padding: "SAME" })))([a, b]), x, w);
    expect(ops).toContain("ConvTranspose");
    expect(ops.some((o) => o.endsWith("Grad"))).toBe(false);
    const dilated = opTypes((a: Array, b: Array) => bind("conv_transpose", [a, b], { strides: [1, 1], padding: [[2, 2], [2, 2]], dilation: [2, 2], groups: 1, inputShape: [2, 6, 6, 3] }), np.zeros([2, 6, 6, 4]), w);
    expect(dilated).toContain("Conv");
    dispose([x, w]);
  });
});

describe("conv bias", () => {
  it("add(conv(x, w), b) is one Conv with a bias input, and agrees", async () => {
    const f = (x: Array, w: Array, b: Array) => grad((p: [Array, Array, Array]) => np.sum(np.square(np.add(lax.conv(p[0], p[1], { padding: "SAME" }), p[2]))))([x, w, b]);
    const make = () => [
      np.array(Float32Array.from({ length: 2 * 5 * 5 * 3 }, (_, i) => Math.sin(i)), { shape: [2, 5, 5, 3] }),
      np.array(Float32Array.from({ length: 3 * 3 * 3 * 4 }, (_, i) => Math.cos(i)), { shape: [3, 3, 3, 4] }),
      np.array([0.5, -1, 2, 0]),
    ];
    const { cpu, onnx } = await onBoth((...xs: Array[]) => f(xs[0]!, xs[1]!, xs[2]!) as unknown as Array[], make);
    cpu.forEach((c, i) => expectAllClose(onnx[i]!, c, { rtol: 1e-4, atol: 1e-4, what: `gradient ${i}` }));
    const lowered = lowerToOnnx(jit((x: Array, w: Array, b: Array) => np.add(lax.conv(x, w, { padding: "SAME" }), b)).lower(...(make() as [Array, Array, Array])));
    const conv = lowered.model.graph.node.find((n) => n.op_type === "Conv")!;
    expect(conv.input.length).toBe(3);
    expect(lowered.model.graph.node.map((n) => n.op_type)).not.toContain("Add");
  });

  it("a grouped conv takes its bias too (the Conv's group splits the bias with the channels), and agrees", async () => {
    const layer = (x: Array, w: Array, b: Array) => np.add(lax.conv(x, w, { padding: "SAME", groups: 2 }), b);
    const f = (x: Array, w: Array, b: Array) => grad((p: [Array, Array, Array]) => np.sum(np.square(layer(...p))))([x, w, b]);
    const make = () => [
      np.array(Float32Array.from({ length: 2 * 5 * 5 * 4 }, (_, i) => Math.sin(i)), { shape: [2, 5, 5, 4] }),
      np.array(Float32Array.from({ length: 3 * 3 * 2 * 6 }, (_, i) => Math.cos(i)), { shape: [3, 3, 2, 6] }),
      np.array([0.5, -1, 2, 0, 1, -0.5]),
    ];
    const { cpu, onnx } = await onBoth((...xs: Array[]) => f(xs[0]!, xs[1]!, xs[2]!) as unknown as Array[], make);
    cpu.forEach((c, i) => expectAllClose(onnx[i]!, c, { rtol: 1e-4, atol: 1e-4, what: `gradient ${i}` }));
    const conv = lowerToOnnx(jit(layer).lower(...(make() as [Array, Array, Array]))).model.graph.node.find((n) => n.op_type === "Conv")!;
    expect(conv.input.length).toBe(3);
    expect(conv.attribute.find((a) => a.name === "group")?.i).toBe(2);
  });
});

describe("gemm accumulate", () => {
  const lcg = (seed: number) => () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5;
  const rand = (shape: number[], seed: number) => {
    const r = lcg(seed);
    return np.array(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, r), { shape });
  };
  const gemms = (f: (...xs: Array[]) => unknown, ...args: Array[]) =>
    lowerToOnnx(jit(f).lower(...(args as never[]))).model.graph.node.filter((n) => n.op_type === "Gemm").map((n) => ({ inputs: n.input.length, beta: n.attribute.find((a) => a.name === "beta")?.f }));

  it("a bias add is the Gemm's C input, and agrees with cpu", async () => {
    const f = (x: Array, w: Array, bias: Array) => np.add(np.matmul(x, w), bias);
    const make = () => [rand([6, 5], 1), rand([5, 4], 2), rand([4], 3)];
    const { cpu, onnx } = await onBoth(f, make);
    expectAllClose(onnx[0]!, cpu[0]!, { rtol: 1e-5, atol: 1e-6, what: "bias" });
    expect(opTypes(f, ...make())).toEqual(["Gemm"]);
  });

  it("a momentum buffer taking a gradient is C scaled by β (transposed operands kept)", async () => {
    const f = (x: Array, dy: Array, v: Array) => np.add(np.mul(v, 0.9), bind("matmul", [x, dy], { transposeA: true, transposeB: false }));
    const make = () => [rand([7, 5], 4), rand([7, 3], 5), rand([5, 3], 6)];
    const { cpu, onnx } = await onBoth(f, make);
    expectAllClose(onnx[0]!, cpu[0]!, { rtol: 1e-5, atol: 1e-6, what: "momentum" });
    expect(gemms(f, ...make())).toEqual([{ inputs: 3, beta: 0.9 }]);
    expect(opTypes(f, ...make())).toEqual(["Gemm"]);
  });

  it("@mmx/optim's Nesterov momentum reads the weight gradient once, so its Gemm accumulates into the buffer", async () => {
    const momentum = traceMomentum({ momentum: 0.9, nesterov: true });
    const f = (x: Array, dy: Array, buf: Array, count: Array) => {
      const g = bind("matmul", [x, dy], { transposeA: true, transposeB: false });
      const r = momentum.update({ w: g }, { count, momentum: { w: buf } });
      return [r.updates.w, (r.state.momentum as { w: Array }).w];
    };
    const make = () => [rand([7, 5], 4), rand([7, 3], 5), rand([5, 3], 6), np.array(2, { dtype: "int32" })];
    const { cpu, onnx } = await onBoth(f, make);
    onnx.forEach((o, i) => expectAllClose(o, cpu[i]!, { rtol: 1e-5, atol: 1e-6, what: ["update", "buffer"][i] }));
    expect(gemms(f, ...make())).toEqual([{ inputs: 3, beta: expect.any(Number) }]);
  });

  it("not when something else reads the product", async () => {
    const f = (x: Array, w: Array, bias: Array) => {
      const product = np.matmul(x, w);
      return [np.add(product, bias), np.exp(product)];
    };
    const make = () => [rand([6, 5], 1), rand([5, 4], 2), rand([4], 3)];
    const { cpu, onnx } = await onBoth(f, make);
    expectAllClose(onnx[0]!, cpu[0]!, { rtol: 1e-5, atol: 1e-6, what: "shared product" });
    expect(gemms(f, ...make())).toEqual([{ inputs: 2, beta: undefined }]);
  });
});

describe("reshape chains", () => {
  it("a Reshape never reads another Reshape's output, and values agree", async () => {
    const f = (x: Array) => {
      const rows = np.sum(x, { axis: -1, keepdims: true }); // a Gemm with ones, reshaped back with keepdims
      return np.reshape(np.reshape(np.mul(x, rows), [12, 10]), [3, 40]);
    };
    const make = () => [np.array(Float32Array.from({ length: 120 }, (_, i) => Math.sin(i)), { shape: [4, 3, 10] })];
    const { cpu, onnx } = await onBoth(f, make);
    expectAllClose(onnx[0]!, cpu[0]!, { rtol: 1e-5, atol: 1e-6, what: "reshapes" });
    const graph = lowerToOnnx(jit(f).lower(make()[0]!)).model.graph;
    const producer = new Map(graph.node.flatMap((n) => n.output.map((o) => [o, n.op_type] as const)));
    const chained = graph.node.filter((n) => n.op_type === "Reshape" && producer.get(n.input[0]!) === "Reshape");
    expect(chained).toEqual([]);
  });
});

describe("broadcasts", () => {
  const sines = (shape: number[], phase: number) => np.array(Float32Array.from({ length: shape.reduce((a, d) => a * d, 1) }, (_, i) => Math.sin(i * 0.7 + phase)), { shape });

  it("an elementwise reader takes a broadcast's source: no Expand, and values agree", async () => {
    const f = (x: Array, v: Array) => np.sub(np.mul(x, np.broadcastTo(v, [2, 3, 4])), np.broadcastTo(np.reshape(v, [1, 1, 4]), [2, 3, 4]));
    const make = () => [sines([2, 3, 4], 0), sines([4], 1)];
    const { cpu, onnx } = await onBoth(f, make);
    expectAllClose(onnx[0]!, cpu[0]!, { what: "broadcast operands" });
    expect(opTypes(f, ...make())).not.toContain("Expand");
  });

  it("between convs, a per-channel broadcast runs on the NCHW values: no Expand, no Transpose but the layouts'", async () => {
    const f = (x: Array, w: Array, v: Array) => lax.conv(np.mul(lax.conv(x, w, { padding: "SAME" }), np.broadcastTo(np.reshape(v, [1, 1, 1, 3]), [2, 5, 5, 3])), w, { padding: "SAME" });
    const make = () => [sines([2, 5, 5, 3], 0), sines([3, 3, 3, 3], 1), sines([3], 2)];
    const { cpu, onnx } = await onBoth(f, make);
    expectAllClose(onnx[0]!, cpu[0]!, { rtol: 1e-4, atol: 1e-4, what: "conv, broadcast product, conv" });
    const ops = opTypes(f, ...make());
    expect(ops).not.toContain("Expand");
    // In to NCHW once, out to NHWC once (the filters' layouts are Gemms and 3-D transposes of their own).
    const graph = lowerToOnnx(jit(f).lower(...(make() as [Array, Array, Array]))).model.graph;
    const activationTransposes = graph.node.filter((n) => n.op_type === "Transpose" && n.attribute.some((a) => a.name === "perm" && a.ints?.length === 4));
    expect(activationTransposes).toHaveLength(2);
  });

  it("a reader that needs the whole array gets one Expand, shared, and values agree", async () => {
    const f = (x: Array, v: Array) => {
      const full = np.broadcastTo(v, [3, 4]);
      return [np.add(x, full), np.transpose(full), np.sum(full, { axis: 0 })];
    };
    const make = () => [sines([3, 4], 0), sines([4], 1)];
    const { cpu, onnx } = await onBoth(f, make);
    cpu.forEach((c, i) => expectAllClose(onnx[i]!, c, { what: `output ${i}` }));
    expect(opTypes(f, ...make()).filter((o) => o === "Expand")).toHaveLength(1);
  });

  it("with broadcasts: 'expand', every broadcast is an Expand", () => {
    const f = (x: Array, v: Array) => np.mul(x, np.broadcastTo(v, [2, 3, 4]));
    const make = () => [sines([2, 3, 4], 0), sines([4], 1)];
    const closed = jit(f).lower(...(make() as [Array, Array]));
    const ops = lowerToOnnx(closed, { lowering: { ...DEFAULT_LOWERING_OPTIONS, broadcasts: "expand" } }).model.graph.node.map((n) => n.op_type);
    expect(ops).toContain("Expand");
  });
});

import * as tf from "@tensorflow/tfjs-core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { setBackend } from "../index.js";
import type { Params, Primitive } from "../primitives.js";
import { expectAllClose } from "../test-util/close.js";
import { maxPoolArgmax } from "./pooling.js";
import { tfjsLowering, tfjsLowerings } from "./tfjs.js";

/**
 * The wasm lowerings that take another route than tfjs's own kernel (conv input gradient as a
 * convolution, sums as average pools, take as GatherNd, broadcasts as products, the tiled argmax)
 * against the default lowerings on cpu, over shapes larger and more varied than the primitive
 * property tests use.
 */

type Operand = { values: number[]; shape: number[]; dtype?: "float32" | "int32" | "bool" };

/** Runs a primitive's lowering on a backend (the default table on cpu, the backend's own on wasm). */
async function lowered<P extends Primitive>(backend: "cpu" | "wasm", primitive: P, ops: Operand[], params: Params<P>) {
  await setBackend(backend);
  const lower = backend === "cpu" ? (tfjsLowerings[primitive] as (xs: tf.Tensor[], p: Params<P>) => tf.Tensor) : tfjsLowering(primitive, backend);
  const out = tf.tidy(() => lower(ops.map((o) => tf.tensor(o.values, o.shape, o.dtype ?? "float32")), params));
  const result = { values: Array.from(await out.data(), Number), shape: out.shape, dtype: out.dtype };
  out.dispose();
  return result;
}

async function agree<P extends Primitive>(primitive: P, ops: Operand[], params: Params<P>, tol = { rtol: 1e-4, atol: 1e-4 }) {
  const ref = await lowered("cpu", primitive, ops, params);
  const got = await lowered("wasm", primitive, ops, params);
  expect(got.shape).toEqual(ref.shape);
  expect(got.dtype).toEqual(ref.dtype);
  expectAllClose(got.values, ref.values, { ...tol, what: primitive });
}

function values(n: number, seed: number, { zeros = false } = {}): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, (_, i) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return zeros && i % 5 === 0 ? 0 : (s / 2 ** 32) * 2 - 1;
  });
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

describe("wasm lowerings against the cpu defaults", () => {
  it("conv_transpose as a convolution: strides 1-3, uneven padding (cpu runs Conv2DBackpropInput)", async () => {
    const cases = [
      { n: 2, h: 9, w: 8, ci: 3, co: 4, k: 3, s: 2, d: 1, pad: [[1, 1], [1, 1]] },
      { n: 1, h: 10, w: 7, ci: 2, co: 5, k: 3, s: 3, d: 1, pad: [[0, 2], [1, 0]] },
      { n: 2, h: 8, w: 8, ci: 4, co: 2, k: 1, s: 2, d: 1, pad: [[0, 0], [0, 0]] },
      { n: 3, h: 6, w: 6, ci: 3, co: 3, k: 2, s: 2, d: 1, pad: [[0, 1], [0, 1]] },
    ];
    for (const [i, c] of cases.entries()) {
      const out = (len: number, p: number[]) => Math.floor((len + p[0]! + p[1]! - ((c.k - 1) * c.d + 1)) / c.s) + 1;
      const ctShape = [c.n, out(c.h, c.pad[0]!), out(c.w, c.pad[1]!), c.co];
      const params = { strides: [c.s, c.s], padding: c.pad, dilation: [c.d, c.d], groups: 1, inputShape: [c.n, c.h, c.w, c.ci] } as unknown as Params<"conv_transpose">;
      await agree("conv_transpose", [{ values: values(size(ctShape), i + 1), shape: ctShape }, { values: values(c.k * c.k * c.ci * c.co, i + 9), shape: [c.k, c.k, c.ci, c.co] }], params, { rtol: 1e-3, atol: 1e-4 });
    }
  });

  it("reduce_sum over leading, middle and trailing runs of axes agrees with tf.sum (small sums take tf.sum's route)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 100 }), async (shape, start, count, seed) => {
          const first = Math.min(start, shape.length - 1);
          const axes = Array.from({ length: Math.min(count, shape.length - first) }, (_, i) => first + i);
          await agree("reduce_sum", [{ values: values(size(shape), seed), shape }], { axes }, { rtol: 1e-4, atol: 1e-5 });
        }),
      { numRuns: 20 },
    );
  });

  it("large reduce_sum over leading or middle axes (the average-pool route) is a float32-accurate sum", async () => {
    await setBackend("wasm");
    const sum = tfjsLowering("reduce_sum", "wasm");
    for (const [shape, axes] of [
      [[64, 32, 32, 8], [0, 1, 2]],
      [[8, 256, 32, 8], [1, 2]],
      [[2048, 256], [0]],
    ] as const) {
      const xs = values(size([...shape]), shape[0], { zeros: true }).map((v) => v + 0.25);
      const x = tf.tensor(xs, [...shape]);
      const got = tf.tidy(() => sum([x], { axes }));
      const outShape = shape.filter((_, i) => !(axes as readonly number[]).includes(i));
      expect(got.shape).toEqual(outShape);
      // Exact sums (float64) and the bound of a float32 summation: a few ulps of the sum of magnitudes.
      const before = shape.slice(0, axes[0]).reduce((a, b) => a * b, 1);
      const reduced = (axes as readonly number[]).reduce((a: number, i) => a * shape[i]!, 1);
      const after = xs.length / before / reduced;
      const exact = new Float64Array(before * after);
      const magnitude = new Float64Array(before * after);
      xs.forEach((v, i) => {
        const b = Math.floor(i / (reduced * after));
        const o = b * after + (i % after);
        exact[o] += v;
        magnitude[o] += Math.abs(v);
      });
      const out = got.dataSync();
      out.forEach((v, o) => expect(Math.abs(v - exact[o]!), `${shape} over ${axes}: output ${o}`).toBeLessThanOrEqual(1e-5 * magnitude[o]!));
      tf.dispose([x, got]);
    }
  });

  it("take along axis 0 (GatherNd route) with vector, matrix and scalar indices", async () => {
    const x = { values: values(6 * 4 * 3, 5), shape: [6, 4, 3] };
    for (const idx of [
      { values: [5, 0, 3, 3, 1], shape: [5] },
      { values: [2, 4, 0, 1], shape: [2, 2] },
      { values: [4], shape: [] },
    ]) {
      await agree("take", [x, { ...idx, dtype: "int32" }], { axis: 0 });
    }
    await agree("take", [x, { values: [2, 0, 2], shape: [3], dtype: "int32" }], { axis: 1 });
  });

  it("slice: whole trailing axes (GatherNd route) for float32, int32 and bool, and other slices (tf.slice)", async () => {
    const x = { values: values(5 * 4 * 3, 8), shape: [5, 4, 3] };
    await agree("slice", [x], { begin: [2, 0, 0], size: [1, 4, 3] });
    await agree("slice", [x], { begin: [1, 0, 0], size: [3, 4, 3] });
    await agree("slice", [x], { begin: [0, 0, 0], size: [5, 4, 3] });
    await agree("slice", [x], { begin: [4, 0, 0], size: [0, 4, 3] });
    await agree("slice", [x], { begin: [1, 1, 0], size: [2, 2, 3] });
    await agree("slice", [x], { begin: [0, 0, 1], size: [5, 4, 2] });
    await agree("slice", [{ values: values(7, 2), shape: [7] }], { begin: [2], size: [4] });
    await agree("slice", [{ values: [3, -1, 4, 1, -5, 9], shape: [3, 2], dtype: "int32" }], { begin: [1, 0], size: [2, 2] });
    await agree("slice", [{ values: [1, 0, 0, 1, 1, 0], shape: [3, 2], dtype: "bool" }], { begin: [2, 0], size: [1, 2] });
  });

  it("matmul with batches on both operands (2-D matmuls per batch element) and contractions of 1 (broadcast products)", async () => {
    const cases: [number[], number[], boolean, boolean][] = [
      [[3, 5, 7], [3, 7, 4], false, false],
      [[3, 7, 5], [3, 7, 4], true, false],
      [[2, 3, 5, 7], [2, 3, 4, 7], false, true],
      [[3, 7, 5], [3, 4, 7], true, true],
      [[4, 6, 1], [4, 1, 5], false, false],
      [[4, 1, 6], [4, 1, 5], true, false],
      [[4, 6, 1], [4, 5, 1], false, true],
      [[1, 6, 3], [1, 3, 5], false, false],
      [[4, 6, 3], [3, 5], false, false],
    ];
    for (const [sa, sb, transposeA, transposeB] of cases) {
      await agree("matmul", [{ values: values(size(sa), 3), shape: sa }, { values: values(size(sb), 4), shape: sb }], { transposeA, transposeB });
    }
  });

  it("transposes of matrices with a multiple of 128 rows (the 3-D route) and the matmuls that make them", async () => {
    for (const shape of [[128, 5], [256, 3], [384, 130], [100, 7]]) {
      await agree("transpose", [{ values: values(size(shape), shape[0]!), shape }], { perm: [1, 0] }, { rtol: 0, atol: 0 });
    }
    for (const [sa, sb, transposeA, transposeB] of [
      [[128, 6], [128, 5], true, false],
      [[128, 6], [3, 6], false, true],
      [[7, 256], [128, 256], false, true],
    ] as [number[], number[], boolean, boolean][]) {
      await agree("matmul", [{ values: values(size(sa), 5), shape: sa }, { values: values(size(sb), 6), shape: sb }], { transposeA, transposeB });
    }
    await setBackend("wasm");
    const x = tf.tensor(values(128 * 5, 1), [128, 5]);
    const { kernels } = await tf.profile(() => {
      tf.dispose(tf.tidy(() => tfjsLowering("transpose", "wasm")([x], { perm: [1, 0] })));
    });
    expect(kernels.filter((k) => k.name === "Transpose").map((k) => k.inputShapes[0])).toEqual([[4, 32, 5]]);
    x.dispose();
  });

  it("broadcast_to and where broadcast by products, for float32, int32 and bool", async () => {
    await agree("broadcast_to", [{ values: values(4, 6), shape: [4, 1] }], { shape: [3, 4, 5] });
    await agree("broadcast_to", [{ values: [3, -7], shape: [2], dtype: "int32" }], { shape: [3, 2] });
    await agree("broadcast_to", [{ values: [1, 0, 1], shape: [3, 1], dtype: "bool" }], { shape: [3, 4] });
    await agree("where", [
      { values: [1, 0, 0, 1], shape: [4, 1], dtype: "bool" },
      { values: values(12, 7), shape: [4, 3] },
      { values: [-0.5, 2, 9], shape: [3] },
    ], {});
  });

  it("max_pool_argmax: the tiled fast path picks what the general scan picks (ties, NaN, negatives)", async () => {
    for (const backend of ["cpu", "wasm"] as const) {
      await setBackend(backend);
      for (const [shape, win] of [
        [[2, 4, 6, 3], [2, 2]],
        [[1, 6, 6, 2], [3, 3]],
        [[3, 4, 4, 1], [2, 1]],
      ] as const) {
        const vals = values(size([...shape]), shape[3], { zeros: true }).map((v, i) => (i % 11 === 4 ? Number.NaN : i % 3 === 0 ? -Math.abs(v) : v));
        const x = tf.tensor(vals, [...shape]);
        const p = { window: win, strides: win, padding: [[0, 0], [0, 0]] } as Params<"max_pool_argmax">;
        const fast = tfjsLowering("max_pool_argmax", backend === "wasm" ? "wasm" : "cpu")([x], p);
        const general = maxPoolArgmax([x], p);
        expect(Array.from(fast.dataSync())).toEqual(Array.from(general.dataSync()));
        tf.dispose([x, fast, general]);
      }
    }
  });
});

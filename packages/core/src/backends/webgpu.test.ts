// The tfjs webgpu backend (Dawn; on lavapipe where there is no GPU) against tfjs's cpu backend, on the kernels mmx
// lowers to most; then mmx's own webgpu specifics (no synchronous reads, its lowerings around tfjs-webgpu's gaps,
// WebGPU error reporting). Run when MMX_BACKENDS lists webgpu (CI sets it after `bash .ci/setup-webgpu.sh`), and
// failed if it is unavailable then; otherwise skipped, with the reason printed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// The union package, in this test only: it registers the gradients tf.grad needs (tfjs-core's Node entry does not).
import * as tf from "@tensorflow/tfjs";
import { bind, canReadSync, dispose, grad, jit, lax, np, setBackend, SyncReadUnavailableError, takeWebgpuErrors, tidy, type Array as MxArray } from "../index.js";
import { resolvePadding } from "../lax.js";
import { DEFAULT_TEST_BACKENDS, parseBackendList } from "./plan.js";
import { registerWebgpuBackend, webgpuAvailable } from "./webgpu.js";
import { webgpuAvailableQuietly } from "./webgpu-quiet-probe.js";
import { useTestBackend } from "../test-util/use-backend.js";

// tfjs's cpu backend greets Node users with advice to install tfjs-node: not useful here.
const cpuBackend = tf.findBackend("cpu") as { firstUse?: boolean } | null;
if (cpuBackend) cpuBackend.firstUse = false;

// Under test as the backend plan says (backends/plan.ts): when MMX_BACKENDS lists webgpu (then it must be available).
const wanted = (parseBackendList(process.env["MMX_BACKENDS"]) ?? DEFAULT_TEST_BACKENDS).includes("webgpu");
// Not requested: asked in a child process, so that Dawn's warnings stay out of the test output.
const availability = wanted ? await webgpuAvailable() : await webgpuAvailableQuietly();
const run = availability.ok && wanted;
const why = availability.ok ? `available (${availability.adapter}) but not requested; MMX_BACKENDS=...,webgpu tests it` : availability.reason;
if (!run) console.warn(`[webgpu.test] ${wanted ? "FAILING (MMX_BACKENDS lists webgpu)" : "skipping"}: ${why}`);

describe("webgpu: availability", () => {
  if (run) {
    it(`runs on ${availability.ok ? availability.adapter : ""}`, () => {
      expect(availability.ok).toBe(true);
    });
  } else if (wanted) {
    it("is available, as MMX_BACKENDS lists webgpu", () => {
      expect.fail(why);
    });
  } else {
    // Only there to show the reason among the skipped tests.
    it.skip(`webgpu not under test: ${why}`, () => {});
  }
});

/** A deterministic float32 array in [-1, 1) (Park-Miller LCG). */
function uniform(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed % 2147483647 || 1;
  for (let i = 0; i < n; i++) {
    s = (s * 16807) % 2147483647;
    out[i] = (2 * s) / 2147483647 - 1;
  }
  return out;
}

type Outputs = tf.Tensor | tf.Tensor[];

async function runOn(backend: string, f: () => Outputs): Promise<{ data: Float32Array[]; shapes: number[][] }> {
  expect(await tf.setBackend(backend)).toBe(true);
  expect(tf.getBackend()).toBe(backend);
  const outs = tf.tidy(f);
  const list = Array.isArray(outs) ? outs : [outs];
  try {
    const data = await Promise.all(list.map(async (t) => Float32Array.from(await t.data())));
    return { data, shapes: list.map((t) => t.shape) };
  } finally {
    tf.dispose(list);
  }
}

/**
 * Runs f (which builds its inputs from plain arrays) on cpu and on webgpu and compares elementwise:
 * |gpu - cpu| <= atol + rtol * |cpu|, with atol relative to the largest |cpu| value (float32 accumulation order
 * differs between the backends).
 */
async function expectSameOnCpuAndWebgpu(f: () => Outputs, rtol = 1e-4, atolScale = 1e-5): Promise<void> {
  const cpu = await runOn("cpu", f);
  const gpu = await runOn("webgpu", f);
  expect(gpu.shapes).toEqual(cpu.shapes);
  cpu.data.forEach((expected, k) => {
    const actual = gpu.data[k]!;
    expect(actual.length).toBe(expected.length);
    let scale = 0;
    for (const v of expected) scale = Math.max(scale, Math.abs(v));
    const atol = atolScale * Math.max(scale, 1);
    let worst = -1;
    let worstExcess = 0;
    for (let i = 0; i < expected.length; i++) {
      const e = expected[i]!;
      const a = actual[i]!;
      const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
      if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
        worst = i;
        worstExcess = excess;
      }
    }
    if (worst >= 0) {
      expect.fail(
        `output ${k}: element ${worst} is ${actual[worst]} on webgpu, ${expected[worst]} on cpu ` +
          `(rtol ${rtol}, atol ${atol})`,
      );
    }
  });
}

describe.skipIf(!run)(
  `webgpu: tfjs kernels (${availability.ok ? availability.adapter : "unavailable"}) vs cpu`,
  () => {
    beforeAll(async () => {
      await registerWebgpuBackend();
    });
    afterAll(async () => {
      await tf.setBackend("cpu");
    });

    it("selects the webgpu backend", async () => {
      expect(await tf.setBackend("webgpu")).toBe(true);
      expect(tf.getBackend()).toBe("webgpu");
    });

    it("matMul, plain and transposed (MLP shapes)", async () => {
      const a = uniform(128 * 784, 1);
      const b = uniform(784 * 512, 2);
      await expectSameOnCpuAndWebgpu(() => {
        const A = tf.tensor2d(a, [128, 784]);
        const B = tf.tensor2d(b, [784, 512]);
        const At = tf.tensor2d(a, [784, 128]);
        const Bt = tf.tensor2d(b, [512, 784]);
        return [tf.matMul(A, B), tf.matMul(A, Bt, false, true), tf.matMul(At, B.slice([0, 0], [784, 64]), true)];
      });
    });

    it("batched matMul", async () => {
      const a = uniform(4 * 33 * 17, 3);
      const b = uniform(4 * 17 * 9, 4);
      await expectSameOnCpuAndWebgpu(() => tf.matMul(tf.tensor3d(a, [4, 33, 17]), tf.tensor3d(b, [4, 17, 9])));
    });

    it("conv2d (same/stride 1, valid/stride 2, dilated)", async () => {
      const x = uniform(2 * 16 * 16 * 3, 5);
      const w = uniform(3 * 3 * 3 * 8, 6);
      await expectSameOnCpuAndWebgpu(() => {
        const X = tf.tensor4d(x, [2, 16, 16, 3]);
        const W = tf.tensor4d(w, [3, 3, 3, 8]);
        return [
          tf.conv2d(X, W, 1, "same"),
          tf.conv2d(X, W, 2, "valid"),
          tf.conv2d(X, W, 1, "same", "NHWC", 2),
        ];
      });
    });

    it("conv2d gradients (filter, via tf.grads; and input)", async () => {
      const x = uniform(2 * 12 * 12 * 4, 7);
      const w = uniform(3 * 3 * 4 * 6, 8);
      const dyS1 = uniform(2 * 12 * 12 * 6, 9);
      const dyS2 = uniform(2 * 5 * 5 * 6, 10);
      await expectSameOnCpuAndWebgpu(() => {
        const X = tf.tensor4d(x, [2, 12, 12, 4]);
        const W = tf.tensor4d(w, [3, 3, 4, 6]);
        const same = tf.grads((xx: tf.Tensor, ww: tf.Tensor) =>
          tf.sum(tf.mul(tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, 1, "same"), tf.tensor4d(dyS1, [2, 12, 12, 6]))),
        )([X, W]);
        const strided = tf.grad((ww: tf.Tensor) =>
          tf.sum(tf.mul(tf.conv2d(X, ww as tf.Tensor4D, 2, "valid"), tf.tensor4d(dyS2, [2, 5, 5, 6]))),
        )(W);
        return [...same, strided];
      });
    });

    it("gather (axis 0 and 1, repeated indices) and its gradient", async () => {
      const p = uniform(10 * 6, 11);
      const idx0 = [3, 1, 3, 9, 0, 0, 7];
      const idx1 = [5, 0, 5, 2];
      const dy = uniform(7 * 6, 12);
      await expectSameOnCpuAndWebgpu(() => {
        const P = tf.tensor2d(p, [10, 6]);
        const g0 = tf.gather(P, tf.tensor1d(idx0, "int32"), 0);
        const g1 = tf.gather(P, tf.tensor1d(idx1, "int32"), 1);
        const dP = tf.grad((pp: tf.Tensor) =>
          tf.sum(tf.mul(tf.gather(pp, tf.tensor1d(idx0, "int32"), 0), tf.tensor2d(dy, [7, 6]))),
        )(P);
        return [g0, g1, dP];
      });
    });

    it("unsortedSegmentSum (repeated ids, an empty segment)", async () => {
      const data = uniform(10 * 6, 13);
      const ids = [0, 2, 2, 4, 0, 1, 4, 4, 2, 0];
      await expectSameOnCpuAndWebgpu(() => [
        tf.unsortedSegmentSum(tf.tensor2d(data, [10, 6]), tf.tensor1d(ids, "int32"), 6),
        tf.unsortedSegmentSum(tf.tensor1d(data.slice(0, 10)), tf.tensor1d(ids, "int32"), 5),
      ]);
    });

    it("maxPool gradient (overlapping windows, all-negative windows)", async () => {
      // Random values (no ties), shifted so that many windows are entirely negative.
      const x = uniform(2 * 9 * 9 * 3, 14).map((v) => v - 0.6);
      const dy3 = uniform(2 * 5 * 5 * 3, 15);
      const dy2 = uniform(2 * 4 * 4 * 3, 16);
      await expectSameOnCpuAndWebgpu(() => {
        const X = tf.tensor4d(x, [2, 9, 9, 3]);
        const overlapping = tf.grad((xx: tf.Tensor) =>
          tf.sum(tf.mul(tf.maxPool(xx as tf.Tensor4D, 3, 2, "same"), tf.tensor4d(dy3, [2, 5, 5, 3]))),
        )(X);
        const tiled = tf.grad((xx: tf.Tensor) =>
          tf.sum(tf.mul(tf.maxPool(xx as tf.Tensor4D, 2, 2, "valid"), tf.tensor4d(dy2, [2, 4, 4, 3]))),
        )(X);
        return [tf.maxPool(X, 3, 2, "same"), overlapping, tiled];
      });
    });
  },
);

/** Runs f under mmx on a backend (GPU kernels forced on webgpu) and reads its arrays back. */
async function mmxOn(backend: "cpu" | "webgpu", f: () => MxArray[]): Promise<{ values: number[][]; shapes: number[][] }> {
  await useTestBackend(backend);
  const outs = tidy(f);
  try {
    const values = await Promise.all(outs.map(async (a) => Array.from(await a.data(), Number)));
    expect(takeWebgpuErrors()).toEqual([]);
    return { values, shapes: outs.map((a) => [...a.shape]) };
  } finally {
    dispose(outs);
  }
}

async function expectMmxSameOnCpuAndWebgpu(f: () => MxArray[], tol = 1e-5): Promise<void> {
  const cpu = await mmxOn("cpu", f);
  const gpu = await mmxOn("webgpu", f);
  expect(gpu.shapes).toEqual(cpu.shapes);
  gpu.values.forEach((vs, k) => {
    expect(vs.length).toBe(cpu.values[k]!.length);
    vs.forEach((v, i) => {
      const want = cpu.values[k]![i]!;
      if (!(Math.abs(v - want) <= tol * (1 + Math.abs(want)))) expect.fail(`output ${k}, element ${i}: ${v} on webgpu, ${want} on cpu`);
    });
  });
}

describe.skipIf(!run)("webgpu: mmx on tfjs-webgpu", () => {
  afterAll(async () => {
    await setBackend("cpu");
  });

  it("has no synchronous reads in Node: dataSync()/item() say to await data(), toString() does not throw", async () => {
    await setBackend("webgpu");
    const a = tidy(() => np.add(np.array([1, 2, 3]), 1));
    const s = tidy(() => np.sum(a));
    try {
      expect(canReadSync()).toBe(false);
      expect(canReadSync(a)).toBe(false);
      expect(() => a.dataSync()).toThrow(SyncReadUnavailableError);
      expect(() => a.dataSync()).toThrow(/dataSync\(\): this f32\[3\] array lives on the webgpu backend.*use `await x\.data\(\)`/);
      expect(() => s.item()).toThrow(/item\(\).*`\(await x\.data\(\)\)\[0\]`/);
      expect(String(a)).toMatch(/on webgpu: await data\(\) to read/);
      expect(Array.from(await a.data())).toEqual([2, 3, 4]);
    } finally {
      dispose([a, s]);
    }
    await setBackend("cpu");
    expect(canReadSync()).toBe(true);
  });

  it("jit's checkFinite says it is not available here instead of failing inside tfjs", async () => {
    await setBackend("webgpu");
    const f = jit((x: MxArray) => np.mul(x, 2), { checkFinite: true });
    const x = np.array([1, 2]);
    try {
      expect(() => f(x)).toThrow(/checkFinite reads outputs synchronously, which the webgpu backend cannot do here/);
    } finally {
      x.dispose();
      f.clearCache();
    }
  });

  it("reports WebGPU validation errors, which void a whole batch of results, through takeWebgpuErrors()", async () => {
    await setBackend("webgpu");
    takeWebgpuErrors();
    const device = (tf.findBackend("webgpu") as unknown as { device: { createShaderModule(d: { code: string }): unknown } }).device;
    device.createShaderModule({ code: "this is not WGSL" });
    // Errors arrive as events: let Dawn deliver them while a read waits.
    const a = tidy(() => np.add(np.array([1]), 1));
    await a.data();
    a.dispose();
    const errors = takeWebgpuErrors();
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toMatch(/WGSL|parsing/i);
    expect(takeWebgpuErrors()).toEqual([]);
  });

  it("int32 and bool converted to float32 are real float32 buffers (tfjs's Cast only relabels them; Transpose then fails)", async () => {
    await expectMmxSameOnCpuAndWebgpu(() => {
      const x = np.array(Array.from({ length: 24 }, (_, i) => ((i * 7) % 11) - 5), { shape: [2, 3, 4] });
      const mask = np.astype(np.greater(x, 0), "float32");
      const ints = np.astype(np.astype(x, "int32"), "float32");
      const hot = np.oneHot(np.array([2, 0, 1, 2], { dtype: "int32" }), 3);
      return [np.transpose(mask, [2, 0, 1]), np.sum(mask, { axis: [0, 2] }), np.transpose(ints, [1, 2, 0]), np.transpose(hot), np.min(x, { axis: [0, 2] })];
    });
  });

  it("max_pool_argmax keeps the first of tied maxima, as on cpu (ties, all -Infinity windows, explicit padding)", async () => {
    const h = 5;
    const w = 6;
    // Many ties (a coarse grid of values), some -Infinity cells, two channels, two images.
    const values = Array.from({ length: 2 * h * w * 2 }, (_, i) => (i % 13 === 0 ? -Infinity : Math.floor(((i * 37) % 17) / 6)));
    await expectMmxSameOnCpuAndWebgpu(() => {
      const x = np.array(values, { shape: [2, h, w, 2] });
      return [
        [3, 2, "SAME"],
        [2, 2, "VALID"],
        [3, 1, [[1, 0], [2, 1]]],
      ].map(([k, s, pad]) =>
        bind("max_pool_argmax", [x], {
          window: [k as number, k as number],
          strides: [s as number, s as number],
          padding: typeof pad === "string" ? resolvePadding(pad as "SAME" | "VALID", [h, w], [k as number, k as number], [s as number, s as number]) : (pad as [[number, number], [number, number]]),
        }),
      );
    }, 0);
  });

  it("the gradients that route through scatter-add (take along an axis, max-pool with ties) match cpu", async () => {
    await expectMmxSameOnCpuAndWebgpu(() => {
      const x = np.array(Array.from({ length: 3 * 4 * 5 }, (_, i) => Math.sin(i)), { shape: [3, 4, 5] });
      const idx = np.array([[3, 0], [3, 1], [2, 3]], { dtype: "int32" });
      const ct = np.array(Array.from({ length: 3 * 3 * 2 * 5 }, (_, i) => Math.cos(i)), { shape: [3, 3, 2, 5] });
      const img = np.array(Array.from({ length: 2 * 4 * 4 * 3 }, (_, i) => Math.floor(i / 7) % 3), { shape: [2, 4, 4, 3] });
      const pooled = lax.maxPool(img, 2, { strides: 1, padding: "SAME" });
      const g = np.array(Array.from({ length: pooled.size }, (_, i) => (i % 5) - 2), { shape: pooled.shape });
      return [bind("scatter_add", [ct, idx], { axis: 1, size: 4 }), np.take(x, idx, 1), bind("max_pool_argmax", [img], { window: [2, 2], strides: [1, 1], padding: [[0, 1], [0, 1]] }), np.scatterAdd(np.reshape(g, [-1]), np.reshape(bind("max_pool_argmax", [img], { window: [2, 2], strides: [1, 1], padding: [[0, 1], [0, 1]] }), [-1]), img.size)];
    });
  });

  it("argmax of a 1-d array is a scalar, and avg-pool gradients with non-overlapping windows stay on the device", async () => {
    await expectMmxSameOnCpuAndWebgpu(() => {
      const v = np.array([0.5, -1, 3, 2]);
      const ct = np.array(Array.from({ length: 2 * 2 * 3 * 2 }, (_, i) => i - 5), { shape: [2, 2, 3, 2] });
      return [
        np.astype(np.argmax(v, 0), "float32"),
        bind("avg_pool_grad", [ct], { window: [2, 2], strides: [2, 2], padding: [[0, 0], [0, 0]], inputShape: [2, 5, 7, 2] }),
        bind("avg_pool_grad", [ct], { window: [2, 2], strides: [2, 2], padding: [[0, 1], [0, 1]], inputShape: [2, 3, 5, 2] }),
      ];
    });
  });

  it("a jitted gradient step of a small conv net (conv, relu, max-pool, matmul, softmax cross-entropy) matches cpu", async () => {
    type P = { w: MxArray; b: MxArray; v: MxArray };
    const loss = (p: P, x: MxArray, y: MxArray) => {
      const h = np.maximum(np.add(lax.conv(x, p.w, { strides: 1, padding: "SAME" }), p.b), 0);
      const pooled = lax.maxPool(h, 2, { strides: 2, padding: "VALID" });
      const logits = np.matmul(np.reshape(pooled, [x.shape[0]!, -1]), p.v);
      return np.mean(np.neg(np.sum(np.mul(np.oneHot(y, 3), np.logSoftmax(logits)), { axis: -1 })));
    };
    const step = jit((p: P, x: MxArray, y: MxArray) => grad(loss)(p, x, y));
    const wave = (n: number, f: number) => Array.from({ length: n }, (_, i) => Math.sin(i * f));
    try {
      await expectMmxSameOnCpuAndWebgpu(() => {
        const p = { w: np.array(wave(3 * 3 * 2 * 4, 0.7), { shape: [3, 3, 2, 4] }), b: np.array(wave(4, 1.3)), v: np.array(wave(3 * 3 * 4 * 3, 0.3), { shape: [36, 3] }) };
        const x = np.array(wave(4 * 6 * 6 * 2, 0.11), { shape: [4, 6, 6, 2] });
        const g = step(p, x, np.array([0, 2, 1, 2], { dtype: "int32" }));
        return [g.w, g.b, g.v];
      }, 1e-4);
    } finally {
      step.clearCache();
    }
  });
});

/**
 * Batch norm in training and evaluation mode against a hand-written reference (plain JS loops over
 * channels-last data), including PyTorch's running-statistics update with the unbiased variance.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jit, np, tidy, type Array } from "@mmx/core";
import { key, normalValues, uniformValues } from "@mmx/random";
import { batchNorm, LayerOptionError, wideResNet, type ParamTree, type Sequential } from "./index.js";
import { expectAllClose } from "./testing-only/close.js";

interface Ref {
  out: Float64Array;
  mean: Float64Array;
  variance: Float64Array;
}

/** y = (x - mean_c) / sqrt(var_c + eps) * w_c + b_c over channels-last data; biased batch variance. */
function reference(x: ArrayLike<number>, channels: number, w: ArrayLike<number>, b: ArrayLike<number>, eps: number, stats?: { mean: ArrayLike<number>; variance: ArrayLike<number> }): Ref {
  const n = x.length / channels;
  const mean = new Float64Array(channels);
  const variance = new Float64Array(channels);
  if (stats) {
    for (let c = 0; c < channels; c++) [mean[c], variance[c]] = [stats.mean[c]!, stats.variance[c]!];
  } else {
    for (let i = 0; i < x.length; i++) mean[i % channels]! += x[i]! / n;
    for (let i = 0; i < x.length; i++) variance[i % channels]! += (x[i]! - mean[i % channels]!) ** 2 / n;
  }
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = i % channels;
    out[i] = ((x[i]! - mean[c]!) / Math.sqrt(variance[c]! + eps)) * w[c]! + b[c]!;
  }
  return { out, mean, variance };
}

const shapes = fc.oneof(
  fc.tuple(fc.integer({ min: 2, max: 5 }), fc.integer({ min: 1, max: 4 })).map(([n, c]) => [n, c]),
  fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })).filter(([n, h, w]) => n * h * w >= 2),
);

describe("batchNorm against a hand-written reference", () => {
  it("training mode: batch statistics, and running stats updated with the unbiased variance (fast-check)", () => {
    fc.assert(
      fc.property(shapes, fc.integer({ min: 0, max: 1e6 }), fc.double({ min: 0, max: 1, noNaN: true }), (shape, seed, momentum) => {
        tidy(() => {
          const c = shape[shape.length - 1]!;
          const size = shape.reduce((a, d) => a * d, 1);
          const xv = normalValues(key(seed), [size]).map((v, i) => 3 * v + (i % c));
          const wv = uniformValues(key(seed + 1), [c], { min: 0.5, max: 2 });
          const bv = uniformValues(key(seed + 2), [c], { min: -1, max: 1 });
          const rm = uniformValues(key(seed + 3), [c], { min: -1, max: 1 });
          const rv = uniformValues(key(seed + 4), [c], { min: 0.5, max: 2 });
          const layer = batchNorm({ momentum });
          const params = { weight: np.array(wv), bias: np.array(bv) };
          const state = { runningMean: np.array(rm), runningVar: np.array(rv) };
          const { out, state: next } = layer.apply(params, np.array(xv, { shape }), { train: true, state });
          const ref = reference(xv, c, wv, bv, 1e-5);
          const n = size / c;
          expect(out.shape).toEqual(shape);
          expectAllClose(out.dataSync(), ref.out, { rtol: 1e-4, atol: 1e-4, what: "train output" });
          const s = next as { runningMean: Array; runningVar: Array };
          expectAllClose(s.runningMean.dataSync(), [...rm].map((r, j) => (1 - momentum) * r + momentum * ref.mean[j]!), { what: "running mean" });
          expectAllClose(s.runningVar.dataSync(), [...rv].map((r, j) => (1 - momentum) * r + momentum * ref.variance[j]! * (n / (n - 1))), { rtol: 1e-4, atol: 1e-4, what: "running var (unbiased)" });
          // The given state is not mutated.
          expect([...state.runningMean.dataSync()]).toEqual([...rm]);
        });
      }),
      { numRuns: 25 },
    );
  });

  it("evaluation mode: running statistics, state returned unchanged", () => {
    tidy(() => {
      const shape = [2, 3, 3, 4];
      const xv = normalValues(key(5), [72]);
      const wv = [1, 2, 0.5, -1];
      const bv = [0, 1, -1, 0.25];
      const rm = [0.5, -0.5, 1, 0];
      const rv = [1, 4, 0.25, 2];
      const state = { runningMean: np.array(rm), runningVar: np.array(rv) };
      const { out, state: next } = batchNorm().apply({ weight: np.array(wv), bias: np.array(bv) }, np.array(xv, { shape }), { state });
      expectAllClose(out.dataSync(), reference(xv, 4, wv, bv, 1e-5, { mean: rm, variance: rv }).out, { what: "eval output" });
      expect(next).toBe(state);
    });
  });

  it("training then evaluation on the same batch differ by the statistics used", () => {
    tidy(() => {
      const layer = batchNorm();
      const { params, state } = layer.init(key(0), [-1, 3]);
      const x = np.array([[1, 2, 3], [3, 6, 9], [5, 10, 15]]);
      const train = layer.apply(params, x, { train: true, state }).out.dataSync();
      const evaluated = layer.apply(params, x, { state }).out.dataSync();
      // Train: standardised columns ([-1.2247, 0, 1.2247] each). Eval with mean 0, var 1: x / sqrt(1 + eps).
      expectAllClose(train, [-1.22474, -1.22474, -1.22474, 0, 0, 0, 1.22474, 1.22474, 1.22474], { atol: 1e-4 });
      expectAllClose(evaluated, [1, 2, 3, 3, 6, 9, 5, 10, 15].map((v) => v / Math.sqrt(1 + 1e-5)));
    });
  });

  it("threads its state through jit and repeated steps", () => {
    tidy(() => {
      const layer = batchNorm({ momentum: 0.5 });
      const { params, state } = layer.init(key(0), [-1, 2]);
      const f = jit((p: ParamTree, s: unknown, x: Array) => layer.apply(p, x, { train: true, state: s }).state);
      const x = np.array([[0, 10], [2, 14]]);
      let s: any = state;
      for (let i = 0; i < 3; i++) s = f(params, s, x);
      // mean: 0 -> 0.5 -> 0.75 -> 0.875 of the batch mean [1, 12]; var of [0,2] and [10,14] (unbiased): 2, 8.
      expectAllClose(s.runningMean.dataSync(), [0.875, 10.5]);
      expectAllClose(s.runningVar.dataSync(), [0.125 + 0.875 * 2, 0.125 + 0.875 * 8]);
    });
  });

  it("WRN-28-10's last batch norm uses momentum 0.9, the others PyTorch's 0.1", () => {
    tidy(() => {
      const head = wideResNet(28, 10).layers.head as Sequential;
      const bn = head.layers.bn!;
      const { params, state } = bn.init(key(0), [-1, 1, 1, 640]);
      const x = np.broadcastTo(np.reshape(np.array([0, 4]), [2, 1, 1, 1]), [2, 1, 1, 640]);
      const next = bn.apply(params, x, { train: true, state }).state as { runningMean: Array };
      expectAllClose(next.runningMean.dataSync().slice(0, 3), [1.8, 1.8, 1.8]);
      // Inside the blocks: a WRN-10-1 (same code, one block per stage), layer1.0.bn1 after one step.
      const small = wideResNet(10, 1);
      const init = small.init(key(1), [-1, 32, 32, 3]);
      const img = np.array(normalValues(key(2), [2 * 32 * 32 * 3]), { shape: [2, 32, 32, 3] });
      const after = small.apply(init.params, img, { train: true, state: init.state }).state as any;
      const stem = small.slice(0, 1);
      const batchMean = np.mean(stem.apply(stem.pick(init.params), img).out, { axis: [0, 1, 2] });
      expectAllClose(after.layer1["0"].bn1.runningMean.dataSync(), np.mul(batchMean, 0.1).dataSync(), { atol: 1e-6 });
    });
  });

  it("errors: no state, one value per channel in training, a state of the wrong shape", () => {
    tidy(() => {
      const layer = batchNorm();
      const { params, state } = layer.init(key(0), [-1, 3]);
      expect(() => layer.apply(params, np.ones([2, 3]))).toThrow(LayerOptionError);
      expect(() => layer.apply(params, np.ones([2, 3]))).toThrow(/batchNorm layer: keeps running statistics.*pass opts\.state/);
      expect(() => layer.apply(params, np.ones([1, 3]), { train: true, state })).toThrow(/more than one value per channel, got input \[1,3\]/);
      expect(() => layer.apply(params, np.ones([2, 3]), { state: { runningMean: np.zeros([3]), runningVar: np.ones([4]) } })).toThrow(
        /the state tree does not match the model at runningVar: the model has f32\[3\], given f32\[4\]/,
      );
    });
  });
});

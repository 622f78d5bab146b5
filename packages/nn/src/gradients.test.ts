/**
 * Every layer's output and gradients (with respect to its params and its input) through @mmx/core's
 * `grad`, against the same computation written with tfjs ops and differentiated by tfjs's own tape
 * (the union package registers tfjs's gradients; it is imported by tests only).
 */
import * as tfa from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { grad, np, tidy, tree, type Array } from "@mmx/core";
import { bernoulliValues, key, normalValues } from "@mmx/random";
import {
  avgPool,
  batchNorm,
  block,
  conv2d,
  dense,
  dropout,
  flatten,
  gelu,
  globalAvgPool,
  layerNorm,
  leakyRelu,
  maxPool,
  preActBlock,
  relu,
  residual,
  sequential,
  tanh,
  wideBasic,
  type ApplyOptions,
  type Layer,
  type ParamTree,
} from "./index.js";
import { expectAllClose } from "./testing-only/close.js";

type T = tfa.Tensor;
type P = Record<string, T>;

interface Case {
  name: string;
  layer: Layer;
  inShape: number[];
  /** The same computation with tfjs ops, on the params by path (`weight`, `conv1.weight`) and the state. */
  tf: (p: P, x: T, s: P) => T;
  opts?: ApplyOptions;
  tol?: { rtol: number; atol: number };
}

const bn = (x: T, w: T, b: T, axes: number[], stats?: { mean: T; variance: T }) => {
  const { mean, variance } = stats ?? tfa.moments(x, axes);
  return tfa.add(tfa.mul(tfa.mul(tfa.sub(x, mean), tfa.rsqrt(tfa.add(variance, 1e-5))), w), b);
};
const conv = (x: T, w: T, stride: number, pad: number | "same" | "valid" | [[number, number], [number, number]]) =>
  tfa.conv2d(x as tfa.Tensor4D, w as tfa.Tensor4D, stride, typeof pad === "number" ? [[0, 0], [pad, pad], [pad, pad], [0, 0]] : globalThis.Array.isArray(pad) ? [[0, 0], pad[0], pad[1], [0, 0]] : pad);
/** A dilated HWIO kernel written out with zeros between taps (tfjs's tape has no dilated-conv gradient). */
const dilate = (w: T, d: number) => {
  const [kh, kw, ci, co] = w.shape as number[];
  const spaced = tfa.pad(tfa.reshape(w, [kh!, 1, kw!, 1, ci!, co!]), [[0, 0], [0, d - 1], [0, 0], [0, d - 1], [0, 0], [0, 0]]);
  return tfa.slice(tfa.reshape(spaced, [kh! * d, kw! * d, ci!, co!]), [0, 0, 0, 0], [(kh! - 1) * d + 1, (kw! - 1) * d + 1, ci!, co!]);
};
const gelu_ = (x: T) => tfa.mul(tfa.mul(x, 0.5), tfa.add(tfa.erf(tfa.mul(x, Math.SQRT1_2)), 1));
const train: ApplyOptions = { train: true };
const dropKey = key(99);

const cases: Case[] = [
  { name: "dense", layer: dense(4, 3), inShape: [5, 4], tf: (p, x) => tfa.add(tfa.matMul(x as tfa.Tensor2D, p.weight as tfa.Tensor2D), p.bias!) },
  { name: "dense without bias, 3-D input", layer: dense(3, { bias: false }), inShape: [2, 3, 4], tf: (p, x) => tfa.reshape(tfa.matMul(tfa.reshape(x, [6, 4]) as tfa.Tensor2D, p.weight as tfa.Tensor2D), [2, 3, 3]) },
  { name: "conv2d 3x3 pad 1", layer: conv2d(4, 3, { padding: 1 }), inShape: [2, 5, 5, 3], tf: (p, x) => tfa.add(conv(x, p.weight!, 1, 1), p.bias!) },
  { name: "conv2d stride 2, pad 1, no bias", layer: conv2d(3, 3, { stride: 2, padding: 1, bias: false }), inShape: [2, 7, 6, 2], tf: (p, x) => conv(x, p.weight!, 2, 1) },
  { name: "conv2d 1x1 stride 2", layer: conv2d(3, 1, { stride: 2 }), inShape: [1, 6, 6, 4], tf: (p, x) => tfa.add(conv(x, p.weight!, 2, 0), p.bias!) },
  { name: "conv2d SAME, 2x3 kernel", layer: conv2d(2, [2, 3], { padding: "SAME" }), inShape: [2, 5, 4, 2], tf: (p, x) => tfa.add(conv(x, p.weight!, 1, "same"), p.bias!) },
  { name: "conv2d explicit asymmetric padding", layer: conv2d(2, 3, { padding: [[0, 2], [1, 0]] }), inShape: [1, 4, 5, 2], tf: (p, x) => tfa.add(conv(x, p.weight!, 1, [[0, 2], [1, 0]]), p.bias!) },
  { name: "conv2d dilation 2, pad 2", layer: conv2d(3, 3, { dilation: 2, padding: 2 }), inShape: [2, 6, 6, 2], tf: (p, x) => tfa.add(conv(x, dilate(p.weight!, 2), 1, 2), p.bias!) },
  { name: "batchNorm train (NHWC)", layer: batchNorm(), inShape: [3, 2, 2, 4], opts: train, tf: (p, x) => bn(x, p.weight!, p.bias!, [0, 1, 2]) },
  { name: "batchNorm train (2-D)", layer: batchNorm(), inShape: [6, 3], opts: train, tf: (p, x) => bn(x, p.weight!, p.bias!, [0]) },
  { name: "batchNorm eval", layer: batchNorm(), inShape: [3, 2, 2, 4], tf: (p, x, s) => bn(x, p.weight!, p.bias!, [], { mean: s.runningMean!, variance: s.runningVar! }) },
  {
    name: "layerNorm (last axis)",
    layer: layerNorm(),
    inShape: [3, 5],
    tf: (p, x) => {
      const { mean, variance } = tfa.moments(x, [1], true);
      return tfa.add(tfa.mul(tfa.mul(tfa.sub(x, mean), tfa.rsqrt(tfa.add(variance, 1e-5))), p.weight!), p.bias!);
    },
  },
  {
    name: "layerNorm (last 2 axes, no affine)",
    layer: layerNorm({ axes: 2, affine: false }),
    inShape: [2, 3, 4],
    tf: (_p, x) => {
      const { mean, variance } = tfa.moments(x, [1, 2], true);
      return tfa.mul(tfa.sub(x, mean), tfa.rsqrt(tfa.add(variance, 1e-5)));
    },
  },
  { name: "relu", layer: relu, inShape: [4, 5], tf: (_p, x) => tfa.relu(x) },
  { name: "leakyRelu 0.2", layer: leakyRelu(0.2), inShape: [4, 5], tf: (_p, x) => tfa.leakyRelu(x, 0.2) },
  { name: "gelu (exact)", layer: gelu, inShape: [4, 5], tf: (_p, x) => gelu_(x) },
  { name: "tanh", layer: tanh, inShape: [4, 5], tf: (_p, x) => tfa.tanh(x) },
  { name: "flatten", layer: flatten, inShape: [2, 3, 2, 2], tf: (_p, x) => tfa.reshape(x, [2, 12]) },
  { name: "avgPool 2", layer: avgPool(2), inShape: [2, 4, 6, 3], tf: (_p, x) => tfa.avgPool(x as tfa.Tensor4D, 2, 2, "valid") },
  {
    name: "avgPool 3, stride 2, pad 1 (padding counts as zeros)",
    layer: avgPool(3, { stride: 2, padding: 1 }),
    inShape: [1, 5, 5, 2],
    tf: (_p, x) => tfa.avgPool(tfa.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]) as tfa.Tensor4D, 3, 2, "valid"),
  },
  { name: "maxPool 2", layer: maxPool(2), inShape: [2, 4, 4, 3], tf: (_p, x) => tfa.maxPool(x as tfa.Tensor4D, 2, 2, "valid") },
  {
    name: "maxPool 3, stride 2, pad 1",
    layer: maxPool(3, { stride: 2, padding: 1 }),
    inShape: [1, 5, 5, 2],
    tf: (_p, x) => tfa.maxPool(tfa.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], -1e9) as tfa.Tensor4D, 3, 2, "valid"),
  },
  { name: "globalAvgPool", layer: globalAvgPool, inShape: [2, 3, 4, 5], tf: (_p, x) => tfa.mean(x, [1, 2]) },
  {
    name: "dropout 0.3 (train, keyed mask)",
    layer: dropout(0.3),
    inShape: [4, 6],
    opts: { train: true, key: dropKey },
    tf: (_p, x) => tfa.mul(x, tfa.tensor(globalThis.Array.from(bernoulliValues(dropKey, 0.7, [4, 6]), (m) => m / 0.7), [4, 6])),
  },
  {
    name: "sequential + residual",
    layer: sequential({ fc: dense(3), res: residual(block([dense(3), tanh]), dense(3)), act: relu }),
    inShape: [4, 5],
    tf: (p, x) => {
      const h = tfa.add(tfa.matMul(x as tfa.Tensor2D, p["fc.weight"] as tfa.Tensor2D), p["fc.bias"]!);
      const body = tfa.tanh(tfa.add(tfa.matMul(h as tfa.Tensor2D, p["res.body.0.weight"] as tfa.Tensor2D), p["res.body.0.bias"]!));
      const skip = tfa.add(tfa.matMul(h as tfa.Tensor2D, p["res.shortcut.weight"] as tfa.Tensor2D), p["res.shortcut.bias"]!);
      return tfa.relu(tfa.add(body, skip));
    },
  },
  {
    name: "preActBlock with projection (train)",
    layer: preActBlock(3, 4, 2),
    inShape: [2, 6, 6, 3],
    opts: train,
    tf: (p, x) => {
      const a = tfa.relu(bn(x, p["bn1.weight"]!, p["bn1.bias"]!, [0, 1, 2]));
      const h = conv(tfa.relu(bn(conv(a, p["conv1.weight"]!, 2, 1), p["bn2.weight"]!, p["bn2.bias"]!, [0, 1, 2])), p["conv2.weight"]!, 1, 1);
      return tfa.add(h, conv(a, p["shortcut.weight"]!, 2, 0));
    },
    tol: { rtol: 1e-3, atol: 1e-4 },
  },
  {
    name: "preActBlock with identity shortcut (train)",
    layer: preActBlock(3, 3, 1),
    inShape: [2, 4, 4, 3],
    opts: train,
    tf: (p, x) => {
      const a = tfa.relu(bn(x, p["bn1.weight"]!, p["bn1.bias"]!, [0, 1, 2]));
      return tfa.add(conv(tfa.relu(bn(conv(a, p["conv1.weight"]!, 1, 1), p["bn2.weight"]!, p["bn2.bias"]!, [0, 1, 2])), p["conv2.weight"]!, 1, 1), x);
    },
    tol: { rtol: 1e-3, atol: 1e-4 },
  },
  {
    name: "wideBasic with projection (train)",
    layer: wideBasic(2, 3, 2),
    inShape: [2, 6, 6, 2],
    opts: train,
    tf: (p, x) => {
      const h = tfa.add(conv(tfa.relu(bn(x, p["bn1.weight"]!, p["bn1.bias"]!, [0, 1, 2])), p["conv1.weight"]!, 1, 1), p["conv1.bias"]!);
      const out = tfa.add(conv(tfa.relu(bn(h, p["bn2.weight"]!, p["bn2.bias"]!, [0, 1, 2])), p["conv2.weight"]!, 2, 1), p["conv2.bias"]!);
      return tfa.add(out, tfa.add(conv(x, p["shortcut.weight"]!, 2, 0), p["shortcut.bias"]!));
    },
    tol: { rtol: 1e-3, atol: 1e-4 },
  },
];

const toTf = (a: Array) => tfa.tensor(a.dataSync() as Float32Array, [...a.shape]);
const byPath = (t: unknown): [string[], Array[]] => {
  const [leaves, def] = tree.flatten(t);
  return [leaves.length ? tree.leafPaths(def) : [], leaves as Array[]];
};

describe("layer gradients through core's grad agree with tfjs's tape", () => {
  it.each(cases.map((c, i) => [c.name, i] as const))("%s", (_name, i) => {
    const c = cases[i]!;
    const tol = c.tol ?? { rtol: 1e-4, atol: 1e-5 };
    tidy(() => {
      const { params, state } = c.layer.init(key(i), c.inShape);
      // Non-trivial batch-norm params and state, so their gradients and uses are exercised.
      const perturb = (t: unknown, seed: number) => tree.map((a: Array) => np.add(a, np.array(normalValues(key(seed), [a.size]).map((v) => 0.3 * v), { shape: a.shape })), t) as ParamTree;
      const p = perturb(params, 1000 + i);
      const s = tree.map((a: Array) => np.abs(a), perturb(state, 2000 + i));
      const x = np.array(normalValues(key(3000 + i), [c.inShape.reduce((a, d) => a * d, 1)]), { shape: c.inShape });
      const opts = { ...c.opts, state: s };
      const out = c.layer.apply(p, x, opts).out;
      const r = np.array(normalValues(key(4000 + i), [out.size]), { shape: out.shape });
      const [gp, gx] = grad((pp: ParamTree, xx: Array) => np.sum(np.mul(c.layer.apply(pp, xx, opts).out, r)), { argnums: [0, 1] })(p, x) as [unknown, Array];

      const [paths, leaves] = byPath(p);
      const [statePaths, stateLeaves] = byPath(s);
      const stateTf: P = Object.fromEntries(statePaths.map((n, j) => [n, toTf(stateLeaves[j]!)]));
      const rTf = toTf(r);
      const run = (...ts: T[]) => c.tf(Object.fromEntries(paths.map((n, j) => [n, ts[j]!])), ts[ts.length - 1]!, stateTf);
      const inputs = [...leaves.map(toTf), toTf(x)];
      const outTf = run(...inputs);
      const gradsTf = tfa.grads((...ts: T[]) => tfa.sum(tfa.mul(run(...ts), rTf)))(inputs);

      expect(out.shape).toEqual(outTf.shape);
      expectAllClose(out.dataSync(), outTf.dataSync(), { ...tol, what: "output" });
      const [, gLeaves] = byPath(gp);
      expect(gLeaves).toHaveLength(paths.length);
      paths.forEach((n, j) => expectAllClose(gLeaves[j]!.dataSync(), gradsTf[j]!.dataSync(), { ...tol, what: `d/d ${n}` }));
      expectAllClose(gx.dataSync(), gradsTf[gradsTf.length - 1]!.dataSync(), { ...tol, what: "d/d input" });
      tfa.dispose([outTf, rTf, ...inputs, ...gradsTf, ...Object.values(stateTf)]);
    });
  });
});

import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import type * as Ort from "onnxruntime-web";
// Its one-node models are written with @mmx/onnx's entry for tools (the lowering's own encoder), which loads no backend.
import { AttributeType, encodeModel, valueInfo, type AttributeMessage } from "@mmx/onnx/proto";

/**
 * The GEMMs of the MLP 784-512-512-10 b128 training step, one at a time, in each form the lowering could emit them:
 * onnxruntime-web's Gemm (or MatMul) on its plain SIMD build and on its default, WebGPU-capable (JSEP) build, beside
 * tfjs wasm's matMul (XNNPACK) on the same product, all interleaved in this page. `?reps`, `?warmup`, `?threads`,
 * `?builds=plain,jsep`. Each case's GFLOP/s from its fastest and its median run; and the first runs of the first
 * case on each build (fresh page: V8 compiles wasm with its baseline compiler first, the optimising one later).
 */
interface Case {
  readonly label: string;
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly transA?: boolean;
  readonly transB?: boolean;
  /** A C input of shape [m, n] with beta 0.9 (the optimizer's momentum buffer), or [n] with beta 1 (a bias). */
  readonly c?: "accumulate" | "bias";
  /** MatMul (with a Transpose node first when transA) instead of Gemm. */
  readonly matmul?: boolean;
}

const CASES: readonly Case[] = [
  { label: "layer 1 forward: x·W1 + b1", m: 128, k: 784, n: 512, c: "bias" },
  { label: "layer 1 forward as MatMul", m: 128, k: 784, n: 512, matmul: true },
  { label: "layer 2 forward: h·W2 + b2", m: 128, k: 512, n: 512, c: "bias" },
  { label: "layer 2 input gradient: dy·W2ᵀ", m: 128, k: 512, n: 512, transB: true },
  { label: "layer 1 weight gradient: xᵀ·dy + 0.9·buf", m: 784, k: 128, n: 512, transA: true, c: "accumulate" },
  { label: "layer 1 weight gradient: xᵀ·dy", m: 784, k: 128, n: 512, transA: true },
  { label: "layer 1 weight gradient, A pre-transposed", m: 784, k: 128, n: 512 },
  { label: "layer 1 weight gradient: MatMul(Transpose(x), dy)", m: 784, k: 128, n: 512, transA: true, matmul: true },
  { label: "layer 2 weight gradient: hᵀ·dy + 0.9·buf", m: 512, k: 128, n: 512, transA: true, c: "accumulate" },
];

const BUILDS = { plain: "/ort/ort.wasm.min.mjs", jsep: "/ort/ort.min.mjs" } as const;
type Build = keyof typeof BUILDS;

const shapeA = (c: Case) => (c.transA ? [c.k, c.m] : [c.m, c.k]);
const shapeB = (c: Case) => (c.transB ? [c.n, c.k] : [c.k, c.n]);
const shapeC = (c: Case) => (c.c === "bias" ? [c.n] : [c.m, c.n]);

function modelOf(c: Case): Uint8Array {
  const int = (name: string, i: number): AttributeMessage => ({ name, type: AttributeType.INT, i });
  const inputs = [valueInfo("a", "float32", shapeA(c)), valueInfo("b", "float32", shapeB(c)), ...(c.c ? [valueInfo("c", "float32", shapeC(c))] : [])];
  const node = c.matmul
    ? [
        ...(c.transA ? [{ name: "t", op_type: "Transpose", input: ["a"], output: ["at"], attribute: [{ name: "perm", type: AttributeType.INTS, ints: [1, 0] }] }] : []),
        { name: "g", op_type: "MatMul", input: [c.transA ? "at" : "a", "b"], output: ["y"], attribute: [] },
      ]
    : [
        {
          name: "g",
          op_type: "Gemm",
          input: inputs.map((i) => i.name),
          output: ["y"],
          attribute: [int("transA", c.transA ? 1 : 0), int("transB", c.transB ? 1 : 0), ...(c.c === "accumulate" ? [{ name: "beta", type: AttributeType.FLOAT, f: 0.9 }] : [])],
        },
      ];
  return encodeModel({
    ir_version: 8,
    opset_import: [{ domain: "", version: 17 }],
    producer_name: "mmx web-gemm",
    producer_version: "0",
    graph: { name: "gemm", node, initializer: [], input: inputs, output: [valueInfo("y", "float32", [c.m, c.n])] },
  });
}

function randomValues(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let s = seed;
  for (let i = 0; i < size; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

type Runner = () => Promise<number>;

async function ortRunner(ort: typeof Ort, c: Case, a: Float32Array, b: Float32Array, cv: Float32Array): Promise<Runner> {
  const session = await ort.InferenceSession.create(modelOf(c), { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
  const feeds: Record<string, Ort.Tensor> = { a: new ort.Tensor("float32", a, shapeA(c)), b: new ort.Tensor("float32", b, shapeB(c)) };
  if (c.c) feeds["c"] = new ort.Tensor("float32", cv, shapeC(c));
  return async () => {
    const t0 = performance.now();
    const out = await session.run(feeds);
    await out["y"]!.getData();
    return performance.now() - t0;
  };
}

function tfjsRunner(c: Case, a: Float32Array, b: Float32Array, cv: Float32Array): Runner {
  const ta = tf.tensor(a, shapeA(c));
  const tb = tf.tensor(b, shapeB(c));
  const tc = c.c ? tf.tensor(cv, shapeC(c)) : undefined;
  return async () => {
    const t0 = performance.now();
    const y = tf.tidy(() => {
      const p = tf.matMul(ta, tb, c.transA, c.transB);
      return tc === undefined ? p : tf.add(p, c.c === "accumulate" ? tf.mul(tc, 0.9) : tc);
    });
    await y.data();
    y.dispose();
    return performance.now() - t0;
  };
}

async function run() {
  const params = new URLSearchParams(location.search);
  const reps = Number(params.get("reps") ?? 20);
  const warmup = Number(params.get("warmup") ?? 5);
  const threads = Number(params.get("threads") ?? 1);
  const builds = (params.get("builds") ?? "plain,jsep").split(",") as Build[];
  for (const b of builds) if (!(b in BUILDS)) throw new Error(`web-gemm: ?builds: ${b} is not one of ${Object.keys(BUILDS).join(", ")}`);
  setWasmPaths("/tfjs-wasm/");
  await tf.setBackend("wasm");
  const orts = new Map<Build, typeof Ort>();
  for (const b of builds) {
    const url = BUILDS[b];
    const ort = (await import(/* a URL the page's server mounts */ url)) as typeof Ort;
    ort.env.wasm.wasmPaths = "/ort/";
    ort.env.wasm.numThreads = threads;
    ort.env.logLevel = "error";
    orts.set(b, ort);
  }
  const rows = [];
  const firstRuns: Record<string, number[]> = {};
  const runners: { label: string; flops: number; variant: string; run: Runner; times: number[] }[] = [];
  for (const [i, c] of CASES.entries()) {
    const a = randomValues(c.m * c.k, 3 * i + 1);
    const b = randomValues(c.k * c.n, 3 * i + 2);
    const cv = randomValues(shapeC(c).reduce((x, y) => x * y, 1), 3 * i + 3);
    const flops = 2 * c.m * c.k * c.n;
    for (const [build, ort] of orts) {
      const r = await ortRunner(ort, c, a, b, cv);
      if (i === 0) firstRuns[`onnxruntime-web ${build}`] = [await r(), await r(), await r(), await r(), await r()];
      runners.push({ label: c.label, flops, variant: `onnxruntime-web ${build}`, run: r, times: [] });
    }
    // tfjs has no MatMul/Gemm distinction: its matMul once per product.
    if (!c.matmul) runners.push({ label: c.label, flops, variant: "tfjs wasm", run: tfjsRunner(c, a, b, cv), times: [] });
  }
  for (let w = 0; w < warmup; w++) for (const r of runners) await r.run();
  for (let k = 0; k < reps; k++) for (const r of runners) r.times.push(await r.run());
  for (const r of runners) {
    const s = [...r.times].sort((x, y) => x - y);
    const med = s[s.length >> 1]!;
    rows.push({ label: r.label, variant: r.variant, minMs: s[0]!, medianMs: med, gflopsBest: r.flops / s[0]! / 1e6, gflopsMedian: r.flops / med / 1e6 });
  }
  return { crossOriginIsolated: globalThis.crossOriginIsolated === true, threads, reps, firstRuns, firstCase: CASES[0]!.label, rows };
}

(window as unknown as { __mmx: Promise<unknown> }).__mmx = run().then(
  (r) => ({ ok: true, ...r }),
  (e: unknown) => ({ ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
);

/**
 * The checks the browser suite runs on each backend of the page: a small MLP trained with manifold mixup (the loss
 * must fall), the same steps as one `step.scan` program, a subset of the primitives and their VJPs against mmx on tfjs's cpu backend, and the interpolation
 * invariants of mixup(k, λ). Everything runs through `jit(...).callAsync`, the call that works on every backend
 * (onnxruntime-web only runs asynchronously). Plain mmx code: it runs in Node too.
 */
import fc from "fast-check";
import { jit, lax, np, tree, vjp, type Array } from "@mmx/core";
import { spirals } from "@mmx/data";
import { softCrossEntropy } from "@mmx/losses";
import { manifoldMixup, mixup, trainStep } from "@mmx/mixup";
import * as nn from "@mmx/nn";
import { adam } from "@mmx/optim";
import { foldIn, key } from "@mmx/random";
import { allCloseReport, mixupCase, mixupCaseData, type MixupCase } from "@mmx/testing";

export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

const values = async (a: Array) => globalThis.Array.from(await a.data(), Number);

/**
 * Trains an MLP 2-32-32-2 on spirals with manifold mixup for `steps` full-batch steps. The mixed loss has a floor
 * (the entropy of the mixed targets), so what must fall is the clean loss on the training set: by 20%.
 */
export async function trainsMlp(steps = 40): Promise<CheckResult & { losses: number[] }> {
  const model = nn.mlp([2, 32, 32, 2]);
  const step = trainStep({ model, loss: softCrossEntropy, optimizer: adam({ lr: 0.02 }), policy: manifoldMixup({ alpha: 2, layers: model.paperBoundaries }), donate: true });
  const cleanLoss = jit((p: nn.ParamTree, xs: Array, ys: Array) => softCrossEntropy(model.apply(p, xs).out, np.oneHot(ys, 2)));
  const { x, y } = spirals({ n: 128 }, key(0));
  let state = step.init(model.init(key(1), [-1, 2]).params);
  const readClean = async () => {
    const l = await cleanLoss.callAsync(state.params, x, y);
    const [v] = await values(l);
    l.dispose();
    return v!;
  };
  const before = await readClean();
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const r = await step.callAsync(state, x, y, foldIn(key(2), i));
    losses.push((await values(r.loss))[0]!);
    r.loss.dispose();
    state = r.state;
  }
  const after = await readClean();
  for (const a of [...tree.leaves([state.params, state.opt]), x, y] as Array[]) a.dispose();
  const ok = losses.every(Number.isFinite) && after < 0.8 * before;
  return { name: `MLP with manifold mixup, ${steps} steps`, ok, detail: `clean loss ${before.toFixed(4)} -> ${after.toFixed(4)}; mixed loss ${losses[0]!.toFixed(4)} -> ${losses[losses.length - 1]!.toFixed(4)}`, losses };
}

/**
 * `steps` manifold-mixup steps of an MLP 2-16-16-2 as one `step.scanAsync` program against `steps` `callAsync`
 * steps with the same keys: each step's layer must match and its loss agree (relative 1e-3: the two programs differ
 * by the identity mixes, which a GPU backend may round differently), and the final params too.
 */
export async function scanMatchesSteps(steps = 6): Promise<CheckResult> {
  const model = nn.mlp([2, 16, 16, 2]);
  const make = () => trainStep({ model, loss: softCrossEntropy, optimizer: adam({ lr: 0.02 }), policy: manifoldMixup({ alpha: 2, layers: model.paperBoundaries }), donate: true });
  const [scanned, looped] = [make(), make()];
  const { x, y } = spirals({ n: 32 }, key(5));
  const xs = np.stack(globalThis.Array.from({ length: steps }, () => x));
  const ys = np.stack(globalThis.Array.from({ length: steps }, () => y));
  const init = model.init(key(6), [-1, 2]).params;
  const keys = globalThis.Array.from({ length: steps }, (_, t) => foldIn(key(7), t));
  const s = await scanned.scanAsync(scanned.init(init), xs, ys, keys);
  const scanLosses = await values(s.losses);
  let state = looped.init(init);
  const loopLosses: number[] = [];
  const layers: unknown[] = [];
  for (let t = 0; t < steps; t++) {
    const r = await looped.callAsync(state, x, y, keys[t]!);
    loopLosses.push((await values(r.loss))[0]!);
    layers.push(r.layer);
    r.loss.dispose();
    state = r.state;
  }
  const close = (a: readonly number[], b: readonly number[]) => a.every((v, i) => Math.abs(v - b[i]!) <= 1e-4 + 1e-3 * Math.abs(b[i]!));
  const [got, want] = [await Promise.all(tree.leaves(s.state.params).map((a) => values(a as Array))), await Promise.all(tree.leaves(state.params).map((a) => values(a as Array)))];
  const paramsClose = got.every((g, i) => close(g, want[i]!));
  const sameLayers = JSON.stringify(s.layers) === JSON.stringify(layers);
  for (const a of [...tree.leaves([s.state.params, s.state.opt, state.params, state.opt]), s.losses, xs, ys, x, y, ...tree.leaves(init)] as Array[]) a.dispose();
  const ok = sameLayers && close(scanLosses, loopLosses) && paramsClose && new Set(layers).size > 1;
  return {
    name: `step.scan of ${steps} steps equals ${steps} steps`,
    ok,
    detail: `layers ${JSON.stringify(s.layers)} vs ${JSON.stringify(layers)}; losses ${scanLosses.map((v) => v.toFixed(5)).join(" ")} vs ${loopLosses.map((v) => v.toFixed(5)).join(" ")}; final params ${paramsClose ? "agree" : "differ"}`,
  };
}

interface PrimitiveCase {
  readonly name: string;
  readonly shapes: readonly (readonly number[])[];
  readonly f: (...xs: Array[]) => Array;
}

const idx = [2, 0, 1, 1];
/** A subset of the primitives, each with its VJP: elementwise, reductions, matmul, softmax, gather, conv, pools. */
const PRIMITIVES: readonly PrimitiveCase[] = [
  { name: "add/mul broadcast", shapes: [[3, 4], [4]], f: (a, b) => np.mul(np.add(a, b), a) },
  { name: "exp, log1p, tanh", shapes: [[2, 5]], f: (a) => np.tanh(np.log1p(np.exp(a))) },
  { name: "maximum (relu)", shapes: [[4, 3]], f: (a) => np.maximum(a, 0.1) },
  { name: "sum, mean over axes", shapes: [[3, 4, 2]], f: (a) => np.mul(np.sum(a, { axis: 1, keepdims: true }), np.mean(a, { axis: [0, 2], keepdims: true })) },
  { name: "matmul", shapes: [[3, 4], [4, 5]], f: (a, b) => np.matmul(a, b) },
  { name: "logSoftmax", shapes: [[4, 6]], f: (a) => np.logSoftmax(a, -1) },
  { name: "take (gather)", shapes: [[3, 2]], f: (a) => np.take(a, np.array(idx, { dtype: "int32" })) },
  { name: "transpose, reshape", shapes: [[2, 3, 4]], f: (a) => np.reshape(np.transpose(a, [2, 0, 1]), [4, 6]) },
  { name: "conv 3x3 SAME", shapes: [[2, 5, 5, 2], [3, 3, 2, 3]], f: (x, w) => lax.conv(x, w, { padding: "SAME" }) },
  { name: "maxPool 2x2", shapes: [[1, 4, 4, 2]], f: (x) => lax.maxPool(x, [2, 2], { strides: [2, 2] }) },
  { name: "avgPool 2x2", shapes: [[1, 4, 4, 2]], f: (x) => lax.avgPool(x, [2, 2], { strides: [2, 2] }) },
];

/** Deterministic operands: distinct values (no ties for max) in [-1.5, 1.5]. */
function operand(shape: readonly number[], salt: number): Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = globalThis.Array.from({ length: n }, (_, i) => ((((i + 1) * 0.6180339 + salt * 0.37) % 1) * 3 - 1.5) + i * 1e-4);
  return np.array(v, { shape: shape as number[] });
}

/** Each primitive's value and VJP (against a fixed cotangent) on the current backend, as numbers. */
export async function primitiveValues(): Promise<Record<string, number[][]>> {
  const out: Record<string, number[][]> = {};
  for (const c of PRIMITIVES) {
    const xs = c.shapes.map((s, i) => operand(s, i + 1));
    const program = jit((...args: Array[]) => {
      const [out, pullback] = vjp((...a: Array[]) => c.f(...a), ...args);
      const y = out as Array;
      const ct = np.array(globalThis.Array.from({ length: y.size }, (_, i) => Math.cos(0.7 * i)), { shape: y.shape as number[] });
      return [y, ...(pullback(ct) as Array[])];
    });
    const results = (await program.callAsync(...xs)) as Array[];
    out[c.name] = await Promise.all(results.map(values));
    for (const a of [...results, ...xs]) a.dispose();
  }
  return out;
}

/** Compares a backend's primitive values and VJPs with the reference (cpu) ones. */
export function comparePrimitives(got: Record<string, number[][]>, reference: Record<string, number[][]>): CheckResult[] {
  return PRIMITIVES.map((c) => {
    const [g, r] = [got[c.name]!, reference[c.name]!];
    const problems = r.map((ref, i) => allCloseReport(g[i]!, ref, { rtol: 2e-3, atol: 2e-4 })).map((p, i) => (p ? `${i === 0 ? "value" : `grad ${i - 1}`}: ${p}` : null));
    const bad = problems.filter((p) => p !== null);
    return { name: `primitive ${c.name}: value and VJP`, ok: bad.length === 0, detail: bad.length === 0 ? `${r.length - 1} gradient(s) match cpu` : bad.join("; ") };
  });
}

interface Invariant {
  readonly name: string;
  /** The arrays to compare, pairwise: [a0, b0, a1, b1, ...]. */
  readonly compute: (c: MixupCase, params: nn.ParamTree, x: Array, y: Array, f: (p: nn.ParamTree, xs: Array) => Array) => Array[];
}

const INVARIANTS: readonly Invariant[] = [
  {
    name: "λ = 1 leaves the output and targets unchanged",
    compute: (c, params, x, y, f) => {
      const { out, targets } = mixup(c.k, 1)(f)(params, x, y, c.perm);
      return [out, f(params, x), targets, np.oneHot(y, c.rm.numClasses)];
    },
  },
  {
    name: "the identity permutation leaves the output unchanged",
    compute: (c, params, x, y, f) => {
      const identity = globalThis.Array.from({ length: x.shape[0]! }, (_, i) => i);
      return [mixup(c.k, c.lambda)(f)(params, x, y, identity).out, f(params, x)];
    },
  },
  {
    name: "λ = 0 at k = 0 is the model on the permuted batch",
    compute: (c, params, x, y, f) => {
      const perm = np.array(c.perm, { dtype: "int32" });
      const { out, targets } = mixup(0, 0)(f)(params, x, y, perm);
      return [out, f(params, np.take(x, perm)), targets, np.oneHot(np.take(y, perm), c.rm.numClasses)];
    },
  },
  {
    name: "targets are λ·onehot(y) + (1-λ)·onehot(y[perm])",
    compute: (c, params, x, y, f) => {
      const perm = np.array(c.perm, { dtype: "int32" });
      const { targets } = mixup(c.k, c.lambda)(f)(params, x, y, perm);
      const expected = np.add(np.mul(np.oneHot(y, c.rm.numClasses), c.lambda), np.mul(np.oneHot(np.take(y, perm), c.rm.numClasses), 1 - c.lambda));
      return [targets, expected];
    },
  },
];

/** The interpolation invariants on `runs` random cases each (fast-check, fixed seed), jitted on the current backend. */
export async function mixupInvariants(runs = 4): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const inv of INVARIANTS) {
    let failure: string | null = null;
    try {
      await fc.assert(
        fc.asyncProperty(mixupCase(), async (c) => {
          const { params, x, y, f } = mixupCaseData(c);
          const program = jit((p: nn.ParamTree, xs: Array, ys: Array) => inv.compute(c, p, xs, ys, f));
          const arrays = (await program.callAsync(params, x, y)) as Array[];
          const read = await Promise.all(arrays.map(values));
          for (const a of [...arrays, x, y, ...(tree.leaves(params) as Array[])]) a.dispose();
          program.clearCache();
          for (let i = 0; i < read.length; i += 2) {
            const problem = allCloseReport(read[i]!, read[i + 1]!, { rtol: 1e-4, atol: 1e-5 });
            if (problem) throw new Error(`pair ${i / 2}: ${problem}`);
          }
        }),
        { numRuns: runs, seed: 42 },
      );
    } catch (e) {
      failure = (e as Error).message.split("\n").slice(0, 3).join(" ");
    }
    results.push({ name: `mixup invariant: ${inv.name}`, ok: failure === null, detail: failure ?? `${runs} random models, k, λ and permutations` });
  }
  return results;
}

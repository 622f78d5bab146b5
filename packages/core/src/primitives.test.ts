import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { np, setBackend, tidy, vjp, type Array as MxArray } from "./index.js";
import { shapeRules } from "./shape-rules.js";
import type { Primitive } from "./primitives.js";
import { expectAllClose } from "./test-util/close.js";
import { onCpu, tfa } from "./test-util/oracle.js";
import { primitiveCases, uncoveredPrimitives, type Operand, type PrimitiveCase } from "./test-util/primitive-cases.js";

const RUNS = Number(process.env.MMX_PROPERTY_RUNS ?? 25);

/** A small deterministic generator for cotangents and directions (no randomness outside the seed). */
function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const toMx = (o: Operand) => np.array(o.values, { shape: o.shape, dtype: o.dtype });
const toTf = (o: Operand) => tfa.tensor(o.values, o.shape, o.dtype);
const values = (a: { dataSync(): ArrayLike<number> }) => Array.from(a.dataSync(), Number);

interface Computed {
  out: number[];
  outShape: readonly number[];
  ct: number[];
  grads: Map<number, number[]>;
  fd: Map<number, { directional: number; predicted: number }>;
}

/** Forward, VJP against a random cotangent, and directional finite differences, all in mmx. */
function computeMmx(c: PrimitiveCase, ops: Operand[], extra: unknown, seed: number): Computed {
  return tidy(() => {
    const xs = ops.map(toMx);
    const out = c.mmx(xs, extra);
    const rand = lcg(seed);
    const ct = Array.from({ length: out.size }, () => rand() * 2 - 1);
    const result: Computed = { out: values(out), outShape: out.shape, ct, grads: new Map(), fd: new Map() };
    const diffArgs = [...new Set([...(c.tapeArgs ?? []), ...(c.fdArgs ?? [])])];
    if (diffArgs.length === 0 || out.dtype !== "float32") return result;
    const ctArr = np.array(ct, { shape: out.shape });
    const withArgs = (ds: MxArray[]) => xs.map((x, i) => (diffArgs.includes(i) ? ds[diffArgs.indexOf(i)]! : x));
    const [, vjpFn] = vjp((...ds: MxArray[]) => c.mmx(withArgs(ds), extra), ...diffArgs.map((i) => xs[i]!));
    const cts = vjpFn(ctArr) as MxArray[];
    diffArgs.forEach((i, j) => result.grads.set(i, values(cts[j]!)));
    // Central differences along a random ±1 direction of each argument: L(x) = <f(x), ct>.
    const eps = 1e-3;
    const loss = (ds: MxArray[]) => np.sum(np.mul(c.mmx(withArgs(ds), extra), ctArr)).item();
    for (const i of c.fdArgs ?? []) {
      const dir = Array.from({ length: xs[i]!.size }, () => (rand() < 0.5 ? -1 : 1));
      const v = np.array(dir, { shape: xs[i]!.shape });
      const at = (s: number) => loss(diffArgs.map((k) => (k === i ? np.add(xs[k]!, np.mul(v, s)) : xs[k]!)));
      const directional = (at(eps) - at(-eps)) / (2 * eps);
      const predicted = result.grads.get(i)!.reduce((acc, g, k) => acc + g * dir[k]!, 0);
      result.fd.set(i, { directional, predicted });
    }
    return result;
  });
}

/** The same value and tfjs's own gradients, on tfjs's cpu backend. */
function computeOracle(c: PrimitiveCase, ops: Operand[], extra: unknown, ct: number[], outShape: readonly number[]) {
  return onCpu(() => {
    let out: number[] | null = null;
    const grads = new Map<number, number[]>();
    tfa.tidy(() => {
      const ts = ops.map(toTf);
      const value = c.oracle!(ts, extra);
      if (value === null) return;
      out = values(value);
      const tape = c.tapeArgs ?? [];
      const dilated = (extra as { dilation?: number } | undefined)?.dilation;
      if (tape.length > 0 && !(dilated && dilated > 1)) {
        const ctT = tfa.tensor(ct, [...outShape]);
        const withArgs = (ds: tfa.Tensor[]) => ts.map((t, i) => (tape.includes(i) ? ds[tape.indexOf(i)]! : t));
        const gs = tfa.grads((...ds: tfa.Tensor[]) => tfa.sum(tfa.mul(c.oracle!(withArgs(ds), extra)!, ctT)))(tape.map((i) => ts[i]!));
        tape.forEach((i, j) => grads.set(i, values(gs[j]!)));
      }
    });
    return { out: out as number[] | null, grads };
  });
}

const caseName = (c: PrimitiveCase) => (c.label ? `${c.primitive} (${c.label})` : c.primitive);

describe("the primitive table", () => {
  it("every primitive has a test case", () => {
    expect(uncoveredPrimitives(Object.keys(shapeRules) as Primitive[])).toEqual([]);
  });
});

for (const backend of ["cpu", "wasm"] as const) {
  describe(`primitives on ${backend}: value and VJP against tfjs's tape and finite differences`, () => {
    beforeAll(async () => {
      await setBackend(backend);
    });

    for (const c of primitiveCases) {
      it(caseName(c), async () => {
        await fc.assert(
          fc.asyncProperty(c.operands, fc.integer({ min: 1, max: 2 ** 30 }), async ({ ops, extra }, seed) => {
            const mine = computeMmx(c, ops, extra, seed);
            const tol = c.tol ?? { rtol: 1e-4, atol: 1e-5 };
            if (c.oracle) {
              const oracle = await computeOracle(c, ops, extra, mine.ct, mine.outShape);
              if (oracle.out) expectAllClose(mine.out, oracle.out, { ...tol, what: `${caseName(c)} value` });
              for (const [i, g] of oracle.grads) expectAllClose(mine.grads.get(i)!, g, { rtol: tol.rtol * 10, atol: tol.atol * 10, what: `${caseName(c)} VJP of operand ${i} vs tfjs` });
            }
            for (const [i, { directional, predicted }] of mine.fd) {
              const ok = Math.abs(directional - predicted) <= 2e-2 + 2e-2 * Math.abs(predicted);
              expect(ok, `${caseName(c)} operand ${i}: finite difference ${directional} vs VJP ${predicted}`).toBe(true);
            }
          }),
          { numRuns: RUNS },
        );
      });
    }
  });
}

describe("cpu and wasm agree on every primitive and its VJP", () => {
  for (const c of primitiveCases) {
    it(caseName(c), async () => {
      await fc.assert(
        fc.asyncProperty(c.operands, fc.integer({ min: 1, max: 2 ** 30 }), async ({ ops, extra }, seed) => {
          await setBackend("cpu");
          const onCpuBackend = computeMmx(c, ops, extra, seed);
          await setBackend("wasm");
          const onWasm = computeMmx(c, ops, extra, seed);
          const tol = c.tol ?? { rtol: 1e-4, atol: 1e-5 };
          expectAllClose(onWasm.out, onCpuBackend.out, { ...tol, what: `${caseName(c)} value, wasm vs cpu` });
          for (const [i, g] of onCpuBackend.grads) expectAllClose(onWasm.grads.get(i)!, g, { ...tol, what: `${caseName(c)} VJP of operand ${i}, wasm vs cpu` });
        }),
        { numRuns: RUNS },
      );
    });
  }
});

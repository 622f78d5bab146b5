import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { describePlan, EXECUTOR_ONLY_BACKENDS, np, planBackends, propertyRuns, setBackend, tidy, vjp, type Array as MxArray } from "./index.js";
import { shapeRules } from "./shape-rules.js";
import type { Primitive } from "./primitives.js";
import { expectAllClose } from "./test-util/close.js";
import { onCpu, tfa } from "./test-util/oracle.js";
import { primitiveCases, uncoveredPrimitives, type Operand, type PrimitiveCase } from "./test-util/primitive-cases.js";
import { caseName, differentiatedArgs, ofDifferentiated, operandArray } from "./test-util/case-operands.js";
import { lcg } from "./test-util/lcg.js";
import { readTree } from "./test-util/read.js";
import { useTestBackend } from "./test-util/use-backend.js";

/**
 * Every primitive's value and VJP on every backend under test (MMX_BACKENDS, default cpu and wasm; see
 * backends/plan.ts), against tfjs's tape on its cpu backend and finite differences; and each backend's against
 * mmx on cpu. Values are read with `await data()`, which every backend supports (webgpu has no sync read in Node).
 */
const plan = await planBackends(undefined, { exclude: EXECUTOR_ONLY_BACKENDS });
// `npm run test:backends` prints the plan once for all its suites (and sets MMX_PLAN_FILE).
if (!process.env["MMX_PLAN_FILE"]) console.log(describePlan(plan));

const RUNS = 25;

const toTf = (o: Operand) => tfa.tensor(o.values, o.shape, o.dtype);
const values = (a: { dataSync(): ArrayLike<number> }) => Array.from(a.dataSync(), Number);

interface Computed {
  out: number[];
  outShape: readonly number[];
  ct: number[];
  grads: Map<number, number[]>;
  fd: Map<number, { directional: number; predicted: number }>;
}

const FD_EPS = 1e-3;

/**
 * Forward, VJP against a random cotangent, and directional finite differences, all in mmx on the current backend:
 * computed in one tidy, then read back asynchronously.
 */
async function computeMmx(c: PrimitiveCase, ops: Operand[], extra: unknown, seed: number): Promise<Computed> {
  const rand = lcg(seed);
  const diffArgs = differentiatedArgs(c);
  const arrays = tidy(() => {
    const xs = ops.map((o) => operandArray(o));
    const out = c.mmx(xs, extra);
    const ct = Array.from({ length: out.size }, () => rand() * 2 - 1);
    const none = { out, ct, grads: [] as MxArray[], fd: [] as { arg: number; dir: number[]; plus: MxArray; minus: MxArray }[] };
    if (diffArgs.length === 0 || out.dtype !== "float32") return none;
    const ctArr = np.array(ct, { shape: out.shape });
    const f = ofDifferentiated(c, xs, extra, diffArgs);
    const [, vjpFn] = vjp(f, ...diffArgs.map((i) => xs[i]!));
    const grads = vjpFn(ctArr) as MxArray[];
    // Central differences along a random ±1 direction of each argument: L(x) = <f(x), ct>.
    const loss = (ds: MxArray[]) => np.sum(np.mul(f(...ds), ctArr));
    const fd = (c.fdArgs ?? []).map((arg) => {
      const dir = Array.from({ length: xs[arg]!.size }, () => (rand() < 0.5 ? -1 : 1));
      const v = np.array(dir, { shape: xs[arg]!.shape });
      const at = (s: number) => loss(diffArgs.map((k) => (k === arg ? np.add(xs[k]!, np.mul(v, s)) : xs[k]!)));
      return { arg, dir, plus: at(FD_EPS), minus: at(-FD_EPS) };
    });
    return { out, ct, grads, fd };
  });
  const outShape = arrays.out.shape;
  const read = await readTree(arrays);
  const result: Computed = { out: read.out, outShape, ct: read.ct, grads: new Map(), fd: new Map() };
  read.grads.forEach((g, j) => result.grads.set(diffArgs[j]!, g));
  for (const { arg, dir, plus, minus } of read.fd) {
    const directional = (plus[0]! - minus[0]!) / (2 * FD_EPS);
    const predicted = result.grads.get(arg)!.reduce((acc, g, k) => acc + g * dir[k]!, 0);
    result.fd.set(arg, { directional, predicted });
  }
  return result;
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

describe("the primitive table", () => {
  it("every primitive has a test case", () => {
    expect(uncoveredPrimitives(Object.keys(shapeRules) as Primitive[])).toEqual([]);
  });
});

for (const backend of plan.run) {
  describe(`${backend}: every primitive's value and VJP against tfjs's tape and finite differences`, () => {
    beforeAll(async () => {
      await useTestBackend(backend);
    });

    for (const c of primitiveCases) {
      it(caseName(c), async () => {
        await fc.assert(
          fc.asyncProperty(c.operands, fc.integer({ min: 1, max: 2 ** 30 }), async ({ ops, extra }, seed) => {
            const mine = await computeMmx(c, ops, extra, seed);
            const tol = c.tol ?? { rtol: 1e-4, atol: 1e-5 };
            if (c.oracle) {
              const oracle = await computeOracle(c, ops, extra, mine.ct, mine.outShape);
              if (oracle.out) expectAllClose(mine.out, oracle.out, { ...tol, what: `${caseName(c)} value on ${backend}` });
              for (const [i, g] of oracle.grads) expectAllClose(mine.grads.get(i)!, g, { rtol: tol.rtol * 10, atol: tol.atol * 10, what: `${caseName(c)} VJP of operand ${i} on ${backend} vs tfjs` });
            }
            for (const [i, { directional, predicted }] of mine.fd) {
              const ok = Math.abs(directional - predicted) <= 2e-2 + 2e-2 * Math.abs(predicted);
              expect(ok, `${caseName(c)} operand ${i} on ${backend}: finite difference ${directional} vs VJP ${predicted}`).toBe(true);
            }
          }),
          { numRuns: propertyRuns(backend, RUNS) },
        );
      });
    }
  });
}

// cpu is the reference: always present, whether or not it is under test.
for (const backend of plan.run.filter((b) => b !== "cpu")) {
  describe(`${backend}: agrees with cpu on every primitive and its VJP`, () => {
    for (const c of primitiveCases) {
      it(caseName(c), async () => {
        await fc.assert(
          fc.asyncProperty(c.operands, fc.integer({ min: 1, max: 2 ** 30 }), async ({ ops, extra }, seed) => {
            await setBackend("cpu");
            const onCpuBackend = await computeMmx(c, ops, extra, seed);
            await useTestBackend(backend);
            const other = await computeMmx(c, ops, extra, seed);
            const tol = c.tol ?? { rtol: 1e-4, atol: 1e-5 };
            expectAllClose(other.out, onCpuBackend.out, { ...tol, what: `${caseName(c)} value, ${backend} vs cpu` });
            for (const [i, g] of onCpuBackend.grads) expectAllClose(other.grads.get(i)!, g, { ...tol, what: `${caseName(c)} VJP of operand ${i}, ${backend} vs cpu` });
          }),
          { numRuns: propertyRuns(backend, RUNS) },
        );
      });
    }
  });
}

import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import { grad, jit, jvp, np, propertyRuns, readTree, setBackend, tidy, vjp, vmap, type Array as MxArray } from "@mmx/core";
import { expectAllClose } from "../../core/src/test-util/close.js";
import { build, inputs, program } from "../../core/src/test-util/random-programs.js";
import "./index.js";
import { onnxUnderTest } from "./testing-only/under-test.js";

/**
 * core's transform properties over random programs, with every transformed function jitted so that it runs
 * as one onnxruntime program (eager operations on onnx run tfjs's cpu kernels: they are the references here):
 * jit(vmap(f))(xs) stacks f(x_i); jit(vmap(grad)) and jit(grad(vmap)) are the per-example gradients and their
 * sum; jit(jvp) matches eager jvp and is the transpose of vjp. Fixed fast-check seeds, so a failure replays.
 */

const underTest = await onnxUnderTest();
const SEED = 20261206;

const example = (x: MxArray, i: number) => np.squeeze(np.slice(x, [i, ...x.shape.slice(1).map(() => 0)], [1, ...x.shape.slice(1)]), 0);
const batchOf = (m: number, n: number, seed: number, size: number) => {
  const examples = Array.from({ length: size }, (_, i) => inputs(m, n, seed + 7 * i));
  return [np.stack(examples.map((e) => e[0]!)), np.stack(examples.map((e) => e[1]!)), examples[0]![2]!] as const;
};
const dot = (a: MxArray, b: MxArray) => np.sum(np.mul(a, b));

beforeAll(async () => {
  await setBackend("onnx");
});
afterAll(async () => {
  await setBackend("cpu");
});

describe.runIf(underTest)("onnx: vmap, grad and jvp of random programs, jitted", () => {
  it("jit(vmap(f))(xs) stacks f(x_i), with shared or mapped weights", async () => {
    await fc.assert(
      fc.asyncProperty(program, fc.integer({ min: 1, max: 3 }), fc.boolean(), async ({ m, n, steps, seed }, size, mapW) => {
        const r = await readTree(
          tidy(() => {
            const f = build(steps);
            const [xs, ys, w0] = batchOf(m, n, seed, size);
            const w = mapW ? np.stack(Array.from({ length: size }, (_, i) => np.mul(w0, 1 - 0.3 * i))) : w0;
            const inAxes = [0, 0, mapW ? 0 : null];
            const stacked = np.stack(Array.from({ length: size }, (_, i) => f(example(xs, i), example(ys, i), mapW ? example(w, i) : w)));
            return { jitted: jit(vmap(f, { inAxes }))(xs, ys, w) as MxArray, stacked };
          }),
        );
        expectAllClose(r.jitted, r.stacked, { what: "jit(vmap) on onnx vs stacked" });
      }),
      { numRuns: propertyRuns("onnx", 20), seed: SEED },
    );
  });

  it("jit(vmap(grad)) and jit(grad(vmap)) are the per-example gradients and their sum", async () => {
    await fc.assert(
      fc.asyncProperty(program, fc.integer({ min: 1, max: 3 }), async ({ m, n, steps, seed }, size) => {
        const r = await readTree(
          tidy(() => {
            const f = build(steps);
            const loss = (x: MxArray, y: MxArray, w: MxArray) => np.sum(f(x, y, w));
            const [xs, ys, w] = batchOf(m, n, seed, size);
            const inAxes = [0, 0, null];
            const perExample = Array.from({ length: size }, (_, i) => grad(loss, { argnums: 2 })(example(xs, i), example(ys, i), w) as MxArray);
            const total = (x: MxArray, y: MxArray, ww: MxArray) => np.sum(vmap(loss, { inAxes })(x, y, ww) as MxArray);
            return {
              stacked: np.stack(perExample),
              summed: perExample.reduce((a, b) => np.add(a, b)),
              jitVmapGrad: jit(vmap(grad(loss, { argnums: 2 }), { inAxes }))(xs, ys, w) as MxArray,
              jitGradVmap: jit(grad(total, { argnums: 2 }))(xs, ys, w) as MxArray,
            };
          }),
        );
        expectAllClose(r.jitVmapGrad, r.stacked, { rtol: 1e-4, atol: 1e-5, what: "jit(vmap(grad)) on onnx" });
        expectAllClose(r.jitGradVmap, r.summed, { rtol: 1e-4, atol: 1e-4, what: "jit(grad(vmap)) on onnx" });
      }),
      { numRuns: propertyRuns("onnx", 15), seed: SEED + 1 },
    );
  });

  it("jit(jvp) matches jvp, and <jvp(f)(x; v), u> = <v, vjp(f)(x)(u)>", async () => {
    await fc.assert(
      fc.asyncProperty(program, async ({ m, n, steps, seed }) => {
        const r = await readTree(
          tidy(() => {
            const f = build(steps);
            const args = inputs(m, n, seed);
            const vs = inputs(m, n, seed + 1);
            const [out, tangent] = jvp(f, args, vs) as [MxArray, MxArray];
            const u = np.sin(np.add(out, 0.5));
            const [, pullback] = vjp(f, ...args);
            const cts = pullback(u) as MxArray[];
            const [jitOut, jitTangent] = jit((...xs: MxArray[]) => jvp(f, xs, vs))(...args) as [MxArray, MxArray];
            return { out, tangent, jitOut, jitTangent, forward: dot(jitTangent, u), reverse: cts.map((ct, j) => dot(ct, vs[j]!)) };
          }),
        );
        expectAllClose(r.jitOut, r.out, { what: "jit(jvp) primal on onnx" });
        expectAllClose(r.jitTangent, r.tangent, { rtol: 1e-4, atol: 1e-5, what: "jit(jvp) tangent on onnx" });
        const reverse = r.reverse.reduce((acc, d) => acc + d[0]!, 0);
        expectAllClose(r.forward, [reverse], { rtol: 1e-3, atol: 1e-4, what: "<jvp, u> vs <v, vjp(u)>" });
      }),
      { numRuns: propertyRuns("onnx", 20), seed: SEED + 2 },
    );
  });
});

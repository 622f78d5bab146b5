import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import { jit, np, propertyRuns, readTree, setBackend, tidy } from "@mmx/core";
import { expectAllClose } from "../../core/src/test-util/close.js";
import { dot, expectTransposed, jvpAndVjp, perExampleGradients, vmapAgainstStacked } from "../../core/src/test-util/program-transforms.js";
import { inputs, program } from "../../core/src/test-util/random-programs.js";
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

beforeAll(async () => {
  await setBackend("onnx");
});
afterAll(async () => {
  await setBackend("cpu");
});

describe.runIf(underTest)("onnx: vmap, grad and jvp of random programs, jitted", () => {
  it("jit(vmap(f))(xs) stacks f(x_i), with shared or mapped weights", async () => {
    await fc.assert(
      fc.asyncProperty(program, fc.integer({ min: 1, max: 3 }), fc.boolean(), async (p, size, mapW) => {
        const r = await readTree(
          tidy(() => {
            const { vmapped, args, stacked } = vmapAgainstStacked(p, size, mapW);
            return { jitted: jit(vmapped)(...args), stacked };
          }),
        );
        expectAllClose(r.jitted, r.stacked, { what: "jit(vmap) on onnx vs stacked" });
      }),
      { numRuns: propertyRuns("onnx", 20), seed: SEED },
    );
  });

  it("jit(vmap(grad)) and jit(grad(vmap)) are the per-example gradients and their sum", async () => {
    await fc.assert(
      fc.asyncProperty(program, fc.integer({ min: 1, max: 3 }), async (p, size) => {
        const r = await readTree(
          tidy(() => {
            const { args, stacked, summed, vmapGrad, gradVmap } = perExampleGradients(p, size);
            return { stacked, summed, jitVmapGrad: jit(vmapGrad)(...args), jitGradVmap: jit(gradVmap)(...args) };
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
      fc.asyncProperty(program, async (p) => {
        const r = await readTree(
          tidy(() => {
            const { u, values } = jvpAndVjp(p, () => inputs(p.m, p.n, p.seed + 1), (out) => np.sin(np.add(out, 0.5)));
            return { ...values, forward: dot(values.jitTangent, u) };
          }),
        );
        expectAllClose(r.jitOut, r.out, { what: "jit(jvp) primal on onnx" });
        expectAllClose(r.jitTangent, r.tangent, { rtol: 1e-4, atol: 1e-5, what: "jit(jvp) tangent on onnx" });
        expectTransposed(r.forward, r.reverse);
      }),
      { numRuns: propertyRuns("onnx", 20), seed: SEED + 2 },
    );
  });
});

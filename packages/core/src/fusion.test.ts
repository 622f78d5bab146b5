import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { planKernels } from "./fusion.js";
import { dispose, grad, jit, lax, makeJaxpr, memory, np, setBackend, tidy, tree, valueAndGrad, type Array as MxArray } from "./index.js";
import { inlineIdentities } from "./passes.js";
import { IDENTITY_PRIMITIVES } from "./primitives.js";
import { expectAllClose } from "./test-util/close.js";
import { TfjsProgram } from "./tfjs-executor.js";

/**
 * The executor's fused kernels (matmul/conv + bias + ReLU, literal fills, where with literal branches)
 * against the same programs run one equation per kernel, on cpu and wasm; and the plan itself, so that
 * a pattern that silently stops fusing fails here too.
 */

const relu = (x: MxArray) => lax.relu(x);

function seeded(seed: number) {
  let s = seed >>> 0 || 1;
  // Values in [-1, 1) with exact zeros mixed in: ReLU's boundary is where fusions could differ.
  return (shape: number[]) =>
    np.array(
      Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        return i % 7 === 3 ? 0 : (s / 2 ** 32) * 2 - 1;
      }),
      { shape },
    );
}

/** Runs f's program fused and unfused on the current backend; returns both flat outputs, read. */
function bothWays(f: (...args: any[]) => unknown, args: unknown[]) {
  const closed = jit(f).lower(...(args as never[]));
  const leaves = tree.leaves(args) as MxArray[];
  const run = (fuse: boolean) => {
    const program = new TfjsProgram(closed, { fuse });
    try {
      return program.run(leaves).map((a) => {
        const v = Array.from(a.dataSync(), Number);
        a.dispose();
        return v;
      });
    } finally {
      program.dispose();
    }
  };
  return { fused: run(true), plain: run(false), closed };
}

function kernelNames(f: (...args: any[]) => unknown, args: unknown[], backend: string): string[] {
  const closed = makeJaxpr(f)(...args);
  return planKernels(inlineIdentities(closed.jaxpr, IDENTITY_PRIMITIVES), backend, { fuse: true }).map((k) => k.name);
}

for (const backend of ["cpu", "wasm"] as const) {
  describe(`fused kernels on ${backend}`, () => {
    beforeAll(async () => {
      await setBackend(backend);
    });

    it("an MLP's loss and gradients agree fused and unfused, and the dense layers fuse", () => {
      tidy(() => {
        const r = seeded(1);
        const p = { w1: r([6, 8]), b1: r([8]), w2: r([8, 5]), b2: r([5]), w3: r([5, 3]), b3: r([3]) };
        const x = r([4, 6]);
        const forward = (q: typeof p, xb: MxArray) => np.add(np.matmul(relu(np.add(np.matmul(relu(np.add(np.matmul(xb, q.w1), q.b1)), q.w2), q.b2)), q.w3), q.b3);
        const loss = (q: typeof p, xb: MxArray) => np.mean(np.square(forward(q, xb)));
        const step = (q: typeof p, xb: MxArray) => valueAndGrad(loss)(q, xb);
        const { fused, plain } = bothWays(step, [p, x]);
        fused.forEach((v, i) => expectAllClose(v, plain[i]!, { what: `output ${i}` }));
        const names = kernelNames(step, [p, x], backend);
        // wasm's fused relu activation maps NaN to 0: there the relu stays a kernel of its own.
        expect(names.filter((n) => n === "matmul+add+relu")).toHaveLength(backend === "wasm" ? 0 : 2);
        expect(names.filter((n) => n === "matmul+add")).toHaveLength(backend === "wasm" ? 3 : 1);
        // The ReLU masks' only readers became g · step(y): no comparison and no zeros are left for them.
        expect(names.filter((n) => n === "relu_grad")).toHaveLength(2);
        expect(names).not.toContain("greater");
      });
    });

    it("maximum(x, 0) is a maximum, not a relu: it does not fuse (the two differ on NaN)", () => {
      tidy(() => {
        const r = seeded(2);
        const args = [r([3, 4]), r([4, 5]), r([5])];
        const f = (x: MxArray, w: MxArray, b: MxArray) => np.maximum(np.add(np.matmul(x, w), b), 0);
        const { fused, plain } = bothWays(f, args);
        expectAllClose(fused[0]!, plain[0]!);
        expect(kernelNames(f, args, backend)).toEqual(["matmul+add", "maximum"]);
      });
    });

    it("a relu's gradient is g · step(y), also outside a fused layer", () => {
      tidy(() => {
        const r = seeded(7);
        const args = [r([3, 5]), r([3, 5])];
        const f = (x: MxArray, s: MxArray) => np.sum(np.mul(relu(np.mul(x, 2)), s));
        const step = (x: MxArray, s: MxArray) => valueAndGrad(f)(x, s);
        const names = kernelNames(step, args, backend);
        expect(names).toContain("relu");
        expect(names).toContain("relu_grad");
        expect(names).not.toContain("where");
        const { fused, plain } = bothWays(step, args);
        fused.forEach((v, i) => expectAllClose(v, plain[i]!, { what: `output ${i}` }));
        // A mask over something else than the selected value stays a select.
        const other = (x: MxArray, y: MxArray) => np.where(np.greater(x, 0), y, 1);
        expect(kernelNames(other, args, backend)).toEqual(["greater", "where"]);
      });
    });

    it("leaves a group alone when an intermediate is read outside it or is an output", () => {
      tidy(() => {
        const r = seeded(3);
        const args = [r([3, 4]), r([4, 5]), r([5])];
        const exposed = (x: MxArray, w: MxArray, b: MxArray) => {
          const m = np.matmul(x, w);
          return [relu(np.add(m, b)), m];
        };
        expect(kernelNames(exposed, args, backend)).not.toContain("matmul+add+relu");
        const { fused, plain } = bothWays(exposed, args);
        fused.forEach((v, i) => expectAllClose(v, plain[i]!));
        // A bias that is not a vector over the last axis stays a plain add.
        const rowBias = (x: MxArray, w: MxArray) => np.add(np.matmul(x, w), np.ones([3, 1]));
        expect(kernelNames(rowBias, args.slice(0, 2), backend)).toEqual(["matmul", "fill", "add"]);
      });
    });

    it("fused matmul + bias + ReLU agrees with the unfused program over random shapes", () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 1000 }), fc.boolean(), (n, k, m, seed, withRelu) => {
          tidy(() => {
            const r = seeded(seed);
            const f = (x: MxArray, w: MxArray, b: MxArray) => {
              const y = np.add(np.matmul(x, w), b);
              return withRelu ? relu(y) : y;
            };
            const { fused, plain } = bothWays(f, [r([n, k]), r([k, m]), r([m])]);
            expectAllClose(fused[0]!, plain[0]!);
          });
        }),
        { numRuns: 15 },
      );
    });

    it("a conv layer (strides, dilation, padding, groups) with bias and ReLU, and its gradients, agree fused and unfused", () => {
      tidy(() => {
        const r = seeded(4);
        const x = r([2, 7, 6, 2]);
        for (const [strides, dilation, groups] of [[1, 1, 1], [2, 1, 1], [1, 2, 1], [1, 1, 2], [2, 1, 2]] as const) {
          const p = { w: r([3, 3, 2 / groups, 4]), b: r([4]) };
          const loss = (q: typeof p, xb: MxArray) => np.sum(np.square(relu(np.add(lax.conv(xb, q.w, { strides, dilation, groups, padding: [[1, 1], [0, 1]] }), q.b))));
          const step = (q: typeof p, xb: MxArray) => [loss(q, xb), grad(loss)(q, xb)];
          const { fused, plain } = bothWays(step, [p, x]);
          fused.forEach((v, i) => expectAllClose(v, plain[i]!, { what: `strides ${strides}, dilation ${dilation}, groups ${groups}, output ${i}` }));
          expect(kernelNames(step, [p, x], backend)).toContain(backend === "wasm" ? "conv+add" : "conv+add+relu");
        }
      });
    });

    it("where with literal branches and a broadcast condition, and zeros, agree fused and unfused", () => {
      tidy(() => {
        const r = seeded(5);
        const f = (x: MxArray, c: MxArray) => [np.where(np.greater(c, 0), 1, x), np.where(np.greater(x, 0), x, -2), np.where(np.less(c, 0), 3, 0), np.add(np.zeros([4, 3]), x)];
        const args = [r([4, 3]), r([4, 1])];
        const { fused, plain } = bothWays(f, args);
        fused.forEach((v, i) => expectAllClose(v, plain[i]!, { what: `output ${i}` }));
        expect(kernelNames(f, args, backend)).toContain("fill");
      });
    });

    it("explicit broadcasts into binary operations agree, and are skipped on wasm (which broadcasts natively)", () => {
      tidy(() => {
        const r = seeded(8);
        const args = [r([2, 3, 4, 5]), r([5]), r([5])];
        const f = (x: MxArray, scale: MxArray, shift: MxArray) => {
          const s4 = np.broadcastTo(np.reshape(scale, [1, 1, 1, 5]), [2, 3, 4, 5]);
          const b4 = np.broadcastTo(np.reshape(shift, [1, 1, 1, 5]), [2, 3, 4, 5]);
          // One broadcast read by a comparison too: that reader keeps the broadcast.
          return [np.add(np.mul(x, s4), b4), np.greater(x, b4)];
        };
        const step = (x: MxArray, scale: MxArray, shift: MxArray) => [f(x, scale, shift), grad((a: MxArray, b: MxArray, c: MxArray) => np.sum(np.square(f(a, b, c)[0]!)), { argnums: [0, 1, 2] })(x, scale, shift)];
        const { fused, plain } = bothWays(step, args);
        fused.forEach((v, i) => expectAllClose(v, plain[i]!, { what: `output ${i}` }));
        const names = kernelNames(f, args, backend);
        expect(names.filter((n) => n === "broadcast_to")).toHaveLength(backend === "wasm" ? 1 : 2);
      });
    });

    it("frees every intermediate: fused program runs leave the tensor count where it was", () => {
      tidy(() => {
        const r = seeded(6);
        const p = { w: r([5, 4]), b: r([4]) };
        const x = r([3, 5]);
        const loss = (q: typeof p, xb: MxArray) => np.sum(relu(np.add(np.matmul(xb, q.w), q.b)));
        const step = jit(grad(loss));
        dispose(step(p, x)); // compiles
        const before = memory().numTensors;
        for (let i = 0; i < 20; i++) dispose(step(p, x));
        expect(memory().numTensors).toBe(before);
        step.clearCache();
      });
    });
  });
}

import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { jit, np, setBackend, type Array as MxArray } from "../index.js";
import { expectAllClose } from "../test-util/close.js";
import { swapPaysForFreshWeights } from "./wasm-fresh-weights.js";

/**
 * The dense layer x·W + b on wasm when W is fresh on every call: taken the other way round where
 * that packs less, the direct way once W repeats, with the same values either way.
 */

function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1);
}

const transposesIn = async (f: () => void) => (await tf.profile(f)).kernels.filter((k) => k.name === "Transpose").length;

describe("dense layers with fresh weights on wasm", () => {
  it("swaps where the weights are large and their rows cheap to transpose: the first layer of a 784-512 MLP, not the 512-512 one", () => {
    expect(swapPaysForFreshWeights(128, 784, 512)).toBe(true);
    expect(swapPaysForFreshWeights(1, 784, 512)).toBe(true);
    expect(swapPaysForFreshWeights(128, 512, 512)).toBe(false);
    expect(swapPaysForFreshWeights(128, 512, 10)).toBe(false);
    expect(swapPaysForFreshWeights(1024, 784, 512)).toBe(false);
  });

  it("gives the same values swapped (fresh weights) and direct (repeated weights), and agrees with cpu", async () => {
    const [m, k, n] = [8, 100, 64];
    expect(swapPaysForFreshWeights(m, k, n)).toBe(true);
    const dense = (x: MxArray, w: MxArray, b: MxArray) => np.add(np.matmul(x, w), b);
    const inputs = () => [np.array(values(m * k, 1), { shape: [m, k] }), np.array(values(k * n, 2), { shape: [k, n] }), np.array(values(n, 3), { shape: [n] })];

    await setBackend("cpu");
    const [xc, wc, bc] = inputs();
    const expected = Array.from(await jit(dense)(xc!, wc!, bc!).data());

    await setBackend("wasm");
    const layer = jit(dense);
    const [x, w, b] = inputs();
    const outs: Float32Array[] = [];
    const transposes: number[] = [];
    const other = np.add(w!, 0);
    for (const weights of [w!, other, w!, w!]) {
      transposes.push(
        await transposesIn(() => {
          const y = layer(x!, weights, b!);
          outs.push(y.dataSync() as Float32Array);
          y.dispose();
        }),
      );
    }
    // Fresh (first call), fresh (a new tensor), fresh again (not the previous call's), then repeated.
    expect(transposes.map((t) => t > 0)).toEqual([true, true, true, false]);
    for (const out of outs.slice(1)) expect(Array.from(out)).toEqual(Array.from(outs[0]!));
    expectAllClose(Array.from(outs[0]!), expected, { rtol: 1e-5, atol: 1e-5, what: "x·W + b" });
    for (const a of [x, w, b, other, xc, wc, bc]) a!.dispose();
  });
});

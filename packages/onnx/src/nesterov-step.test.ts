import { afterAll, describe, expect, it } from "vitest";
import { bind, dce, dispose, evalJaxpr, jit, makeJaxpr, np, setBackend, tidy, type Array, type Jaxpr } from "@mmx/core";
import { expectAllClose } from "../../core/src/test-util/close.js";
import { lowerToOnnx } from "./index.js";
import { distributeNesterovStep } from "./nesterov-step.js";
import { readGradientOnce } from "./read-gradient-once.js";

afterAll(async () => {
  await setBackend("cpu");
});

const weightGradient = (x: Array, dy: Array) => bind("matmul", [x, dy], { transposeA: true, transposeB: false });
/** One torch.optim.SGD Nesterov step of a weight, as @mmx/optim writes it: new weight and buffer. */
const nesterovStep =
  (lr: number, beta: number) =>
  (x: Array, dy: Array, buf: Array, w: Array): Array[] => {
    const g = weightGradient(x, dy);
    const next = np.add(np.mul(buf, beta), g);
    const direction = np.add(g, np.mul(next, beta));
    return [np.add(w, np.mul(direction, -lr)), next];
  };
const lcg = (seed: number) => () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5;
const rand = (shape: number[], seed: number) => {
  const r = lcg(seed);
  return np.array(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, r), { shape });
};
const args = (): [Array, Array, Array, Array] => [rand([7, 5], 1), rand([7, 3], 2), rand([5, 3], 3), rand([5, 3], 4)];
/** How many equations read the old buffer's decay `mul(buf, β)` (buf: input 2). */
const decayReaders = (j: Jaxpr) => {
  const decay = j.eqns.find((e) => e.primitive === "mul" && e.inputs[0] === j.inBinders[2])!.out;
  return j.eqns.filter((e) => e.inputs.includes(decay)).length;
};

describe("distributeNesterovStep", () => {
  it("writes p + s·((1+β)·buf' − β·buf) as (p + (s·(1+β))·buf') + (s·(−β))·buf: β·buf is read by the buffer's sum alone, the values equal to rounding", () =>
    tidy(() => {
      for (const [lr, beta] of [[0.1, 0.9], [0.05, 0.5]] as const) {
        const xs = args();
        const closed = makeJaxpr(nesterovStep(lr, beta))(...xs);
        const once = readGradientOnce(closed.jaxpr);
        const rewritten = dce(distributeNesterovStep(once));
        expect(decayReaders(once)).toBe(2);
        expect(decayReaders(rewritten)).toBe(1);
        const want = evalJaxpr(closed, xs);
        const got = evalJaxpr(rewritten, xs, { consts: closed.consts });
        got.forEach((a, i) => expectAllClose(a.dataSync(), want[i]!.dataSync(), { rtol: 1e-6, atol: 1e-6, what: `lr ${lr}, β ${beta}: output ${i}` }));
      }
    }));

  it("lets the buffer's Gemm take its decay as beta: no Mul of the old buffer before it, and the onnx values match the cpu backend's", async () => {
    const f = nesterovStep(0.1, 0.9);
    const graph = lowerToOnnx(jit(f).lower(...args())).model.graph;
    const gemm = graph.node.find((n) => n.op_type === "Gemm")!;
    expect(gemm.attribute.find((a) => a.name === "beta")?.f).toBeCloseTo(0.9, 6);
    // C is the old buffer itself (graph input 2), not a product computed before the Gemm.
    expect(gemm.input[2]).toBe("in_2");
    // Two scaled terms and two sums, each over the weight: four elementwise nodes (five before the rewrite).
    expect(graph.node.filter((n) => n.op_type !== "Gemm").map((n) => n.op_type).sort()).toEqual(["Add", "Add", "Mul", "Mul"]);

    const values: number[][][] = [];
    for (const backend of ["cpu", "onnx"]) {
      await setBackend(backend);
      const xs = args();
      const out = jit(f)(...xs);
      values.push(out.map((a) => globalThis.Array.from(a.dataSync())));
      dispose([xs, out]);
    }
    values[1]!.forEach((v, i) => expectAllClose(v, values[0]![i]!, { rtol: 1e-5, atol: 1e-6, what: `output ${i}` }));
  });

  it("leaves other updates alone: a scale that is not a scalar, a direction read twice, no decayed buffer", () =>
    tidy(() => {
      const xs = args();
      const arrayScale = makeJaxpr((x: Array, dy: Array, buf: Array, w: Array) => {
        const g = weightGradient(x, dy);
        const next = np.add(np.mul(buf, 0.9), g);
        return np.add(w, np.mul(np.add(g, np.mul(next, 0.9)), w));
      })(...xs);
      const once = readGradientOnce(arrayScale.jaxpr);
      expect(distributeNesterovStep(once)).toBe(once);
      const readTwice = makeJaxpr((x: Array, dy: Array, buf: Array, w: Array) => {
        const g = weightGradient(x, dy);
        const next = np.add(np.mul(buf, 0.9), g);
        const direction = np.add(g, np.mul(next, 0.9));
        return [np.add(w, np.mul(direction, -0.1)), direction];
      })(...xs);
      const twice = readGradientOnce(readTwice.jaxpr);
      expect(distributeNesterovStep(twice)).toBe(twice);
      const plain = makeJaxpr((x: Array, dy: Array, _buf: Array, w: Array) => np.add(w, np.mul(np.sub(weightGradient(x, dy), w), -0.1)))(...xs);
      expect(distributeNesterovStep(plain.jaxpr)).toBe(plain.jaxpr);
    }));
});

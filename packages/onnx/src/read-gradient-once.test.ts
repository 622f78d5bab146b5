import { bind, evalJaxpr, makeJaxpr, np, tidy, type Array, type Jaxpr } from "@mmx/core";
import { describe, expect, it } from "vitest";
import { expectAllClose } from "../../core/src/test-util/close.js";
import { readGradientOnce } from "./read-gradient-once.js";

const weightGradient = (x: Array, dy: Array) => bind("matmul", [x, dy], { transposeA: true, transposeB: false });
/** torch.optim.SGD's Nesterov direction and new buffer, as @mmx/optim writes them. */
const nesterov = (beta: number, beta2 = beta) => (x: Array, dy: Array, buf: Array) => {
  const g = weightGradient(x, dy);
  const next = np.add(np.mul(buf, beta2), g);
  return [np.add(g, np.mul(next, beta)), next];
};
const lcg = (seed: number) => () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5;
const rand = (shape: number[], seed: number) => {
  const r = lcg(seed);
  return np.array(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, r), { shape });
};
const readersOfMatmul = (j: Jaxpr) => {
  const mm = j.eqns.find((e) => e.primitive === "matmul")!.out;
  return j.eqns.filter((e) => e.inputs.includes(mm)).length + j.outs.filter((a) => a === mm).length;
};

describe("readGradientOnce", () => {
  it("writes Nesterov's g + β·buf' as (1+β)·buf' − β'·buf: the gradient read once, the values equal to rounding", () =>
    tidy(() => {
      for (const [beta, beta2] of [[0.9, 0.9], [0.5, 0.75]] as const) {
        const args = [rand([7, 5], 1), rand([7, 3], 2), rand([5, 3], 3)];
        const closed = makeJaxpr(nesterov(beta, beta2))(...args);
        expect(readersOfMatmul(closed.jaxpr)).toBe(2);
        const rewritten = readGradientOnce(closed.jaxpr);
        expect(readersOfMatmul(rewritten)).toBe(1);
        const want = evalJaxpr(closed, args);
        const got = evalJaxpr(rewritten, args, { consts: closed.consts });
        got.forEach((a, i) => expectAllClose(a.dataSync(), want[i]!.dataSync(), { rtol: 1e-6, atol: 1e-6, what: `β ${beta}, β' ${beta2}: output ${i}` }));
      }
    }));

  it("leaves other programs alone: heavy ball, a scale that is not a literal, a gradient that is not a matmul", () =>
    tidy(() => {
      const args = [rand([7, 5], 1), rand([7, 3], 2), rand([5, 3], 3)];
      const heavyBall = makeJaxpr((x: Array, dy: Array, buf: Array) => np.add(np.mul(buf, 0.9), weightGradient(x, dy)))(...args);
      expect(readGradientOnce(heavyBall.jaxpr)).toBe(heavyBall.jaxpr);
      const arrayScale = makeJaxpr((x: Array, dy: Array, buf: Array) => {
        const g = weightGradient(x, dy);
        const next = np.add(np.mul(buf, np.exp(np.sum(buf))), g);
        return np.add(g, np.mul(next, 0.9));
      })(...args);
      expect(readGradientOnce(arrayScale.jaxpr)).toBe(arrayScale.jaxpr);
      const elementwise = makeJaxpr((_x: Array, _dy: Array, buf: Array) => {
        const g = np.exp(buf);
        const next = np.add(np.mul(buf, 0.9), g);
        return np.add(g, np.mul(next, 0.9));
      })(...args);
      expect(readGradientOnce(elementwise.jaxpr)).toBe(elementwise.jaxpr);
    }));
});

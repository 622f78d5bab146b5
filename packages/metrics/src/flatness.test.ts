import { Matrix, EigenvalueDecomposition, QrDecomposition } from "ml-matrix";
import { beforeAll, describe, expect, it } from "vitest";
import { hessian, np, setBackend, tidy, type Array as MxArray } from "@mmx/core";
import { largestHessianEigenvalue } from "./index.js";

/**
 * Power iteration on Hessian-vector products against Hessians whose spectrum is known: a quadratic built
 * from a chosen spectrum, and a small MLP's loss whose Hessian core's `hessian` forms explicitly.
 */

beforeAll(async () => {
  await setBackend("cpu");
});

/** Deterministic values in [-1, 1). */
const wave = (n: number, phase: number) => Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + phase) * 0.9);

/** A = Q diag(spectrum) Qᵀ with Q orthogonal (the QR of a fixed matrix). */
function symmetricWith(spectrum: number[]): number[][] {
  const n = spectrum.length;
  const q = new QrDecomposition(new Matrix(Array.from({ length: n }, (_, i) => wave(n, i * 0.37 + 0.1)))).orthogonalMatrix;
  return q.mmul(Matrix.diag(spectrum)).mmul(q.transpose()).to2DArray();
}

describe("largestHessianEigenvalue", () => {
  it("finds the top of a known spectrum: a quadratic ½ xᵀAx over a tree of params", () => {
    for (const spectrum of [[4, 1.5, -1, 0.5, 0.25, 2], [-3, 1, 0.5, 2, 0.1, -0.2]]) {
      tidy(() => {
        const a = np.array(symmetricWith(spectrum));
        // The params split into two leaves: the quadratic sees their concatenation.
        const loss = (p: { u: MxArray; w: MxArray }) => {
          const x = np.concatenate([p.u, p.w]);
          return np.mul(np.sum(np.mul(x, np.matmul(a, x))), 0.5);
        };
        const params = { u: np.array([0.3, -0.1, 0.2]), w: np.array([1, 0.5, -0.4]) };
        const top = spectrum.reduce((m, l) => (Math.abs(l) > Math.abs(m) ? l : m));
        const r = largestHessianEigenvalue(loss, params, { iters: 300, tol: 1e-7 });
        expect(r.converged).toBe(true);
        expect(r.eigenvalue).toBeCloseTo(top, 3);
        expect(r.iterations).toBeLessThan(300);
      });
    }
  });

  it("matches the top eigenvalue of a small MLP's explicit Hessian (on a batch)", () => {
    tidy(() => {
      const [d, h, c, n] = [3, 4, 2, 6];
      const sizes = [d * h, h, h * c];
      const unpack = (theta: MxArray) => {
        const w1 = np.reshape(np.slice(theta, [0], [sizes[0]!]), [d, h]);
        const b1 = np.slice(theta, [sizes[0]!], [sizes[1]!]);
        const w2 = np.reshape(np.slice(theta, [sizes[0]! + sizes[1]!], [sizes[2]!]), [h, c]);
        return { w1, b1, w2 };
      };
      const x = np.array(wave(n * d, 0.3), { shape: [n, d] });
      const y = np.array(Array.from({ length: n * c }, (_, i) => (i % c === Math.floor(i / c) % c ? 1 : 0)), { shape: [n, c] });
      const lossOf = (p: { w1: MxArray; b1: MxArray; w2: MxArray }, xb: MxArray, yb: MxArray) => {
        const logits = np.matmul(np.tanh(np.add(np.matmul(xb, p.w1), p.b1)), p.w2);
        return np.mean(np.neg(np.sum(np.mul(yb, np.logSoftmax(logits, -1)), { axis: -1 })));
      };
      const theta = np.array(wave(sizes.reduce((s, v) => s + v), 2.1));
      const explicit = hessian((t: MxArray) => lossOf(unpack(t), x, y))(theta);
      const size = theta.size;
      const rows = Array.from({ length: size }, (_, i) => Array.from(explicit.dataSync().slice(i * size, (i + 1) * size), Number));
      const eig = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true }).realEigenvalues;
      const top = eig.reduce((m, l) => (Math.abs(l) > Math.abs(m) ? l : m));
      const r = largestHessianEigenvalue(lossOf, unpack(theta), { args: [x, y], iters: 500, tol: 1e-7 });
      expect(Math.abs(r.eigenvalue - top)).toBeLessThan(1e-3 * Math.max(1, Math.abs(top)));
    });
  });

  it("bad arguments give one-line errors", () => {
    tidy(() => {
      const loss = (p: MxArray) => np.sum(np.square(p));
      expect(() => largestHessianEigenvalue(loss, np.zeros([2]), { iters: 0 })).toThrow(/largestHessianEigenvalue: iters must be a positive integer, got 0/);
      expect(() => largestHessianEigenvalue(loss, np.zeros([2], "int32"))).toThrow(/params leaf .* is not a float32 Array/);
      expect(() => largestHessianEigenvalue(loss, np.zeros([2]), { start: np.zeros([3]) })).toThrow(/start must be a tree of arrays like the params/);
      expect(() => largestHessianEigenvalue((p: MxArray) => np.sum(np.log(p)), np.zeros([2]))).toThrow(/the Hessian-vector product is not finite/);
    });
  });
});

import { beforeAll, describe, expect, it } from "vitest";
import { jvp, linearize, np, setBackend, tidy, type Array as MxArray } from "./index.js";
import { expectAllClose } from "./test-util/close.js";

/** linearize's map equals jvp at the same point, is linear in the tangent, and its output is f's. */

beforeAll(async () => {
  await setBackend("cpu");
});

const read = (a: MxArray) => Array.from(a.dataSync(), Number);

describe("linearize", () => {
  it("returns f(x) and the jvp at x as a linear function of the tangents (pytrees too)", () => {
    tidy(() => {
      const f = (p: { w: MxArray; b: MxArray }, x: MxArray) => np.tanh(np.add(np.matmul(x, p.w), p.b));
      const p = { w: np.array([[0.4, -0.3], [0.2, 0.9], [-0.5, 0.1]]), b: np.array([0.1, -0.2]) };
      const x = np.array([[1, -1, 0.5], [0.3, 0.2, -0.7]]);
      const [out, jvpAt] = linearize(f, p, x);
      expectAllClose(read(out), read(f(p, x)), { what: "primal out" });
      const t1 = [{ w: np.array([[1, 0], [0, 1], [1, 1]]), b: np.array([0.5, -0.5]) }, np.array([[0.1, 0.2, 0.3], [-0.3, 0, 0.2]])] as const;
      const t2 = [{ w: np.array([[0, -1], [2, 0], [0.5, 0]]), b: np.array([1, 1]) }, np.array([[0, 1, 0], [1, 0, -1]])] as const;
      const got1 = jvpAt(...t1) as MxArray;
      expectAllClose(read(got1), read(jvp(f, [p, x], [...t1])[1] as MxArray), { what: "linearize vs jvp" });
      const got2 = jvpAt(...t2) as MxArray;
      expectAllClose(read(got2), read(jvp(f, [p, x], [...t2])[1] as MxArray), { what: "second call" });
      // Linear: the map of 2·t1 − t2 is 2·map(t1) − map(t2).
      const mix = (a: MxArray, b: MxArray) => np.sub(np.mul(a, 2), b);
      const combined = jvpAt({ w: mix(t1[0].w, t2[0].w), b: mix(t1[0].b, t2[0].b) }, mix(t1[1], t2[1])) as MxArray;
      expectAllClose(read(combined), read(mix(got1, got2)), { rtol: 1e-5, atol: 1e-6, what: "linearity" });
    });
  });

  it("a tangent of the wrong shape names itself", () => {
    tidy(() => {
      const [, jvpAt] = linearize((x: MxArray) => np.sin(x), np.zeros([3]));
      expect(() => jvpAt(np.zeros([4]))).toThrow(/jvp: the tangent at \[0\] is f32\[4\], its primal is f32\[3\]/);
    });
  });
});

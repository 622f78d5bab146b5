import { beforeAll, describe, expect, it } from "vitest";
import { dispose, grad, jit, memory, np, setBackend, tidy, tree, valueAndGrad, type Array as MxArray } from "./index.js";
import { expectAllClose } from "./test-util/close.js";

type Params = { w1: MxArray; b1: MxArray; w2: MxArray; b2: MxArray };

const mlp = (p: Params, x: MxArray) => np.add(np.matmul(np.maximum(np.add(np.matmul(x, p.w1), p.b1), 0), p.w2), p.b2);
const loss = (p: Params, x: MxArray, y: MxArray) => np.mean(np.square(np.sub(mlp(p, x), y)));
const sgdStep = (p: Params, x: MxArray, y: MxArray, lr: MxArray) => {
  const g = grad(loss)(p, x, y) as Params;
  return tree.map((w: MxArray, gw: MxArray) => np.sub(w, np.mul(gw, lr)), p, g);
};

function init(): Params {
  const r = (shape: number[], seed: number) => np.array(Array.from({ length: shape.reduce((a, b) => a * b) }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.3), { shape });
  return { w1: r([4, 8], 1), b1: r([8], 2), w2: r([8, 3], 3), b2: r([3], 4) };
}

for (const backend of ["cpu", "wasm"] as const) {
  describe(`jit on ${backend}`, () => {
    beforeAll(async () => {
      await setBackend(backend);
    });

    it("traces once per signature and retraces for a new shape or static value", () => {
      let traces = 0;
      const f = jit((x: MxArray, k: number) => {
        traces++;
        return np.mul(x, k);
      }, { staticArgnums: [1] });
      tidy(() => {
        f(np.ones([2]), 3);
        f(np.ones([2]), 3);
        expect(traces).toBe(1);
        f(np.ones([3]), 3);
        f(np.ones([2]), 4);
        expect(traces).toBe(3);
        expect(f.cacheSize).toBe(3);
        expect(Array.from(f(np.ones([2]), 4).dataSync())).toEqual([4, 4]);
      });
    });

    it("treats JS numbers as traced float32 scalars (no retrace when they change)", () => {
      let traces = 0;
      const f = jit((x: MxArray, s: MxArray) => {
        traces++;
        return np.mul(x, s);
      });
      tidy(() => {
        expect(Array.from(f(np.ones([2]), 2 as never).dataSync())).toEqual([2, 2]);
        expect(Array.from(f(np.ones([2]), 5 as never).dataSync())).toEqual([5, 5]);
      });
      expect(traces).toBe(1);
    });

    it("agrees with eager evaluation on a pytree-valued SGD step", () => {
      tidy(() => {
        const p = init();
        const x = np.array(Array.from({ length: 20 }, (_, i) => Math.cos(i)), { shape: [5, 4] });
        const y = np.array(Array.from({ length: 15 }, (_, i) => Math.sin(i)), { shape: [5, 3] });
        const lr = np.array(0.1);
        const eager = sgdStep(p, x, y, lr);
        const jitted = jit(sgdStep)(p, x, y, lr);
        for (const k of ["w1", "b1", "w2", "b2"] as const) expectAllClose(Array.from(jitted[k].dataSync()), Array.from(eager[k].dataSync()), { what: k });
      });
    });

    it("leaves the tensor count flat over 1,000 jitted grad steps", () => {
      const step = jit(sgdStep);
      const x = np.ones([5, 4]);
      const y = np.zeros([5, 3]);
      const lr = np.array(0.01);
      let p = init();
      // The first call compiles: the program's literal and constant tensors live as long as it does.
      const warm = step(p, x, y, lr);
      dispose(p);
      p = warm;
      const before = memory().numTensors;
      for (let i = 0; i < 1000; i++) {
        const next = step(p, x, y, lr);
        dispose(p);
        p = next;
      }
      expect(memory().numTensors).toBe(before);
      dispose([p, x, y, lr]);
    });

    it("leaves the tensor count flat over 10,000 calls of a small jitted function", () => {
      const f = jit((x: MxArray) => np.sum(np.tanh(np.mul(x, 2))));
      const x = np.ones([3]);
      f(x).dispose();
      const before = memory().numTensors;
      for (let i = 0; i < 10_000; i++) f(x).dispose();
      expect(memory().numTensors).toBe(before);
      x.dispose();
    });

    it("clearCache frees the programs and the copies of closed-over constants", () => {
      const c = np.array([1, 2, 3]);
      const x = np.ones([3]);
      const before = memory().numTensors;
      const f = jit((v: MxArray) => np.add(v, c));
      f(x).dispose();
      f.clearCache();
      expect(memory().numTensors).toBe(before);
      expect(Array.from(c.dataSync())).toEqual([1, 2, 3]);
      dispose([c, x]);
    });

    it("returns outputs the caller owns, even when an output is an input or repeated", () => {
      const f = jit((x: MxArray) => [x, np.exp(x), np.exp(x)] as const);
      const x = np.zeros([2]);
      const [a, b, c] = f(x) as unknown as MxArray[];
      a!.dispose();
      b!.dispose();
      expect(Array.from(x.dataSync())).toEqual([0, 0]);
      expect(Array.from(c!.dataSync())).toEqual([1, 1]);
      dispose([x, c]);
    });

    it("inlines into an enclosing grad, and grad of jit equals grad", () => {
      tidy(() => {
        const f = (x: MxArray) => np.sum(np.sin(np.mul(x, x)));
        const x = np.array([0.3, -1.2, 2]);
        const g1 = grad(jit(f))(x);
        const g2 = grad(f)(x);
        expectAllClose(Array.from(g1.dataSync()), Array.from(g2.dataSync()));
        const [v, g3] = jit(valueAndGrad(f))(x) as [MxArray, MxArray];
        expectAllClose([v.item()], [f(x).item()]);
        expectAllClose(Array.from(g3.dataSync()), Array.from(g2.dataSync()));
      });
    });

    it("jit(grad(grad(f))) computes second derivatives", () => {
      tidy(() => {
        const d2 = jit(grad((x: MxArray) => np.sum(grad((y: MxArray) => np.sum(np.mul(np.mul(y, y), y)))(x))));
        expect(Array.from(d2(np.array([1, -2, 0.5])).dataSync())).toEqual([6, -12, 3]);
      });
    });

    it("checks outputs for NaN or Inf when asked, naming the output", () => {
      const f = jit((x: MxArray) => ({ ok: np.exp(np.zeros([1])), bad: np.log(x) }), { checkFinite: true });
      expect(() => f(np.array([1, 0]))).toThrow(/output bad \(f32\[2\]\) holds -Infinity at flat index 1/);
      const g = jit((x: MxArray) => np.log(x));
      tidy(() => expect(g(np.array([0])).item()).toBe(-Infinity));
    });

    it("names the culprit when an argument cannot be traced", () => {
      const f = jit((x: MxArray, opts: { scale: number; name: string }) => np.mul(x, opts.scale));
      expect(() => f(np.ones([1]), { scale: 2, name: "n" })).toThrow(/argument leaf \[1\]\.name is a string \(n\); mark non-array arguments with staticArgnums/);
      const g = jit((x: MxArray, _fn: unknown) => x, { staticArgnums: [1] });
      expect(() => g(np.ones([1]), () => 1)).toThrow(/static argument 1 must be plain data/);
    });
  });
}

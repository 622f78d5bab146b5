import { afterAll, describe, expect, it } from "vitest";
import { customVjp, grad, jit, jvp, lax, np, setBackend, tidy, tree, vmap, type Array as MxArray } from "@mmx/core";
import { expectAllClose } from "../../core/src/test-util/close.js";
import { netEpochLoop, netInputs, netSgdStep, rnnInputs, rnnLoop, rnnLoss, rnnScan, type NetParams, type RnnParams } from "../../core/src/test-util/scan-programs.js";
import { onnxUnderTest } from "./testing-only/under-test.js";
import { lowerToOnnx } from "./index.js";
import type { GraphMessage } from "./proto.js";

/**
 * lax.scan as one ONNX program: the jitted scan, its gradient (a reverse scan), its jvp, its vmap and a whole
 * SGD epoch on onnx, against the JS loop they stand for, run on tfjs's cpu backend.
 */
const underTest = await onnxUnderTest();

const flat = (t: unknown): number[] => (tree.leaves(t) as MxArray[]).flatMap((a) => Array.from(a.dataSync(), Number));
const onBackend = async <T>(backend: string, fn: () => T): Promise<number[]> => {
  await setBackend(backend);
  return tidy(() => flat(fn()));
};

const opTypes = (g: GraphMessage): string[] => g.node.flatMap((n) => [n.op_type, ...n.attribute.flatMap((a) => (a.g ? opTypes(a.g).map((t) => `${n.op_type}/${t}`) : []))]);

describe("the ONNX lowering of scan", () => {
  it("is one Loop node whose body is the step, nested for nested scans, however long the scan", () => {
    tidy(() => {
      const { p, h0, xs } = rnnInputs(50, 2, 3, 1);
      const ops = opTypes(lowerToOnnx(jit((q: RnnParams, h: MxArray, x: MxArray) => rnnScan(q, h, x)).lower(p, h0, xs)).model.graph);
      expect(ops.filter((t) => t === "Loop")).toHaveLength(1);
      expect(ops.filter((t) => t === "Loop/Tanh")).toHaveLength(1);
      expect(ops.filter((t) => t === "Tanh")).toHaveLength(0);
      const nested = (x: MxArray) => lax.scan((c: MxArray, row: MxArray) => [np.add(c, lax.scan((d: MxArray, v: MxArray) => [np.mul(d, v), null], np.full([], 1), row)[0]), null], np.full([], 0), x)[0];
      const nestedOps = opTypes(lowerToOnnx(jit(nested).lower(np.ones([4, 3]))).model.graph);
      expect(nestedOps).toContain("Loop/Loop");
      expect(nestedOps).toContain("Loop/Loop/Mul");
    });
  });
});

describe.runIf(underTest)("onnx: jitted scans equal the loop on cpu", () => {
  afterAll(async () => {
    await setBackend("cpu");
  });

  for (const [steps, m, n, seed, reverse] of [
    [3, 2, 3, 4, false],
    [4, 3, 2, 9, true],
    [1, 1, 1, 2, false],
  ] as const) {
    it(`recurrent body, ${steps} steps ${m}->${n}${reverse ? ", reversed" : ""}: values, grad, jvp and vmap`, async () => {
      const args = () => {
        const { p, h0, xs } = rnnInputs(steps, m, n, seed);
        return [p, h0, xs] as [RnnParams, MxArray, MxArray];
      };
      const tangents = () => {
        const d = rnnInputs(steps, m, n, seed + 11);
        return [d.p, d.h0, d.xs];
      };
      const batch = () => {
        const [p, h0] = args();
        return [p, h0, np.stack([0, 1].map((i) => rnnInputs(steps, m, n, seed + 5 * i).xs))] as [RnnParams, MxArray, MxArray];
      };
      const f = (p: RnnParams, h: MxArray, x: MxArray) => rnnScan(p, h, x, reverse);
      const inAxes = [null, null, 0];
      const cases: [string, () => unknown, () => unknown][] = [
        ["scan", () => jit(f)(...args()), () => rnnLoop(...args(), reverse)],
        ["grad", () => jit(grad(rnnLoss(rnnScan, reverse), { argnums: [0, 1, 2] }))(...args()), () => grad(rnnLoss(rnnLoop, reverse), { argnums: [0, 1, 2] })(...args())],
        [
          "jvp",
          () => jit((...a: [RnnParams, MxArray, MxArray]) => jvp(rnnLoss(rnnScan, reverse), a, tangents())[1] as MxArray)(...args()),
          () => jvp(rnnLoss(rnnLoop, reverse), args(), tangents())[1],
        ],
        ["vmap", () => jit(vmap(f, { inAxes }))(...batch()), () => vmap((p: RnnParams, h: MxArray, x: MxArray) => rnnLoop(p, h, x, reverse), { inAxes })(...batch())],
      ];
      for (const [what, onnx, reference] of cases) {
        const want = await onBackend("cpu", reference);
        const got = await onBackend("onnx", onnx);
        expectAllClose(got, want, { rtol: 1e-4, atol: 1e-5, what: `onnx ${what}` });
      }
    });
  }

  it("nested scans, their gradient, a scan of no steps and foriLoop's int32 counter", async () => {
    const x = () => np.array([[1, 2, 3], [0.5, -1, 2]]);
    const nested = (a: MxArray) => lax.scan((c: MxArray, row: MxArray) => [np.add(c, lax.scan((d: MxArray, v: MxArray) => [np.mul(d, v), null], np.full([], 1), row)[0]), null], np.full([], 0), a)[0];
    const empty = (a: MxArray) => lax.scan((c: MxArray, row: MxArray) => [np.add(c, row), np.mul(row, 2)], np.zeros([3]), a);
    const fori = (a: MxArray) => lax.foriLoop(1, 4, (i: MxArray, v: MxArray) => np.add(np.mul(v, 0.5), np.astype(i, "float32")), a);
    const want = await onBackend("cpu", () => [nested(x()), grad(nested)(x()), empty(np.zeros([0, 3])), fori(x()), grad((a: MxArray) => np.sum(fori(a)))(x())]);
    const got = await onBackend("onnx", () => [jit(nested)(x()), jit(grad(nested))(x()), jit(empty)(np.zeros([0, 3])), jit(fori)(x()), jit(grad((a: MxArray) => np.sum(fori(a))))(x())]);
    expectAllClose(got, want, { what: "onnx nested / empty / foriLoop" });
    expectAllClose(want.slice(0, 7), [5, 6, 3, 2, -2, 1, -0.5], { what: "the reference itself" });
  });

  it("edge forms: no carry (a map), ys that are a constant, a number, the carry or the x itself, an unchanged carry", async () => {
    const k = () => np.array([1, -2]);
    const xs = () => np.array([[1, 2], [3, 4], [5, 6]]);
    const forms = (x: MxArray, c: MxArray) => [
      lax.scan((_: null, r: MxArray) => [null, np.mul(r, c)], null, x)[1],
      lax.scan((h: MxArray, r: MxArray) => [h, { k: c, one: 1, h, r }], np.zeros([2]), x, { reverse: true }),
      lax.scan((h: MxArray, r: MxArray) => [np.add(h, r), h], c, x),
    ];
    const want = await onBackend("cpu", () => forms(xs(), k()));
    const jitted = await onBackend("cpu", () => jit(forms)(xs(), k()));
    const got = await onBackend("onnx", () => jit(forms)(xs(), k()));
    expectAllClose(jitted, want, { what: "jit on cpu (unrolled)" });
    expectAllClose(got, want, { what: "onnx" });
    expectAllClose(want.slice(0, 6), [1, -4, 3, -8, 5, -12], { what: "the map itself" });
  });

  it("customVjp: jit(grad) on onnx uses the rule (a softplus whose plain derivative is NaN at 95), also inside a scan", async () => {
    const softplus = customVjp(
      (x: MxArray) => np.log(np.add(1, np.exp(x))),
      (x: MxArray) => [np.log(np.add(1, np.exp(x))), np.sigmoid(x)] as const,
      (s: MxArray, ct: MxArray) => [np.mul(ct, s)],
    );
    const x = () => np.array([-3, 0, 0.7, 95]);
    const got = await onBackend("onnx", () => [
      jit(grad((v: MxArray) => np.sum(softplus(v))))(x()),
      jit(grad((v: MxArray) => lax.scan((c: MxArray, e: MxArray) => [np.add(c, softplus(e)), null], np.full([], 0), v)[0]))(x()),
    ]);
    const sigmoid = [-3, 0, 0.7, 95].map((v) => 1 / (1 + Math.exp(-v)));
    expectAllClose(got, [...sigmoid, ...sigmoid], { what: "onnx customVjp" });
  });

  it("a training epoch as one program: SGD steps over a stacked batch array equal the step loop", async () => {
    const step = netSgdStep(0.1);
    const want = await onBackend("cpu", () => {
      const { p, xb, yb } = netInputs(6, 4, 5);
      return netEpochLoop(step, p, xb, yb);
    });
    const got = await onBackend("onnx", () => {
      const { p, xb, yb } = netInputs(6, 4, 5);
      return jit((q: NetParams, x: MxArray, y: MxArray) => lax.scan(step, q, { x, y }))(p, xb, yb);
    });
    expectAllClose(got, want, { what: "epoch on onnx" });
    expect(want.length).toBeGreaterThan(6);
  });
});

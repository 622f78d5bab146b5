import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  describePlan,
  dispose,
  EXECUTOR_ONLY_BACKENDS,
  grad,
  isScanEqn,
  jit,
  jvp,
  lax,
  makeJaxpr,
  memory,
  np,
  planBackends,
  propertyRuns,
  readTree,
  setBackend,
 
  tidy,
  tree,
  typecheckJaxpr,
  inlineHigherOrder,
  vmap,
  type Array as MxArray,
} from "./index.js";
import { expectAllClose } from "./test-util/close.js";
import { netEpochLoop, netInputs, netSgdStep, rnnInputs, rnnLoop, rnnLoss, rnnScan, type NetParams, type RnnParams } from "./test-util/scan-programs.js";
import { useTestBackend } from "./test-util/use-backend.js";

/**
 * lax.scan against the JS loop it stands for: values, gradients (grad of a scan is a reverse scan), jvp
 * (against finite differences and the loop's jvp), vmap (against stacking) and jit (against eager), on every
 * eager backend under test; onnx runs the jitted programs in packages/onnx/src/scan.test.ts.
 */

const plan = await planBackends(undefined, { exclude: EXECUTOR_ONLY_BACKENDS });
if (!process.env["MMX_PLAN_FILE"]) console.log(describePlan(plan));

const flat = (t: unknown) => (tree.leaves(t) as number[][]).flat();
const case_ = fc.record({ steps: fc.integer({ min: 1, max: 4 }), m: fc.integer({ min: 1, max: 3 }), n: fc.integer({ min: 1, max: 3 }), seed: fc.integer({ min: 0, max: 1000 }), reverse: fc.boolean() });
const SEED = { seed: 1717 };

for (const backend of plan.run) {
  describe(`${backend}: scan equals the unrolled loop`, () => {
    beforeAll(async () => {
      await useTestBackend(backend);
    });

    it("values and gradients of a recurrent (MLP-ish) body, eager and jitted", async () => {
      await fc.assert(
        fc.asyncProperty(case_, async ({ steps, m, n, seed, reverse }) => {
          const r = await readTree(
            tidy(() => {
              const { p, h0, xs } = rnnInputs(steps, m, n, seed);
              const scanned = (q: RnnParams, h: MxArray, x: MxArray) => rnnScan(q, h, x, reverse);
              const g = grad(rnnLoss(rnnScan, reverse), { argnums: [0, 1, 2] });
              return {
                loop: rnnLoop(p, h0, xs, reverse),
                scan: scanned(p, h0, xs),
                jitScan: jit(scanned)(p, h0, xs),
                loopGrad: grad(rnnLoss(rnnLoop, reverse), { argnums: [0, 1, 2] })(p, h0, xs),
                scanGrad: g(p, h0, xs),
                jitScanGrad: jit(g)(p, h0, xs),
              };
            }),
          );
          expectAllClose(flat(r.scan), flat(r.loop), { what: "scan vs loop" });
          expectAllClose(flat(r.jitScan), flat(r.loop), { what: "jit(scan) vs loop" });
          expectAllClose(flat(r.scanGrad), flat(r.loopGrad), { rtol: 1e-4, atol: 1e-5, what: "grad(scan) vs grad(loop)" });
          expectAllClose(flat(r.jitScanGrad), flat(r.loopGrad), { rtol: 1e-4, atol: 1e-5, what: "jit(grad(scan)) vs grad(loop)" });
        }),
        { numRuns: propertyRuns(backend, 6), ...SEED },
      );
    });

    it("jvp of a scan equals the loop's jvp and central finite differences", async () => {
      await fc.assert(
        fc.asyncProperty(case_, async ({ steps, m, n, seed, reverse }) => {
          const eps = 1e-2;
          const r = await readTree(
            tidy(() => {
              const { p, h0, xs } = rnnInputs(steps, m, n, seed);
              const dir = rnnInputs(steps, m, n, seed + 11);
              const f = (q: RnnParams, h: MxArray, x: MxArray) => rnnLoss(rnnScan, reverse)(q, h, x);
              const at = (s: number) => f(tree.map((a: MxArray, d: MxArray) => np.add(a, np.mul(d, s)), p, dir.p), np.add(h0, np.mul(dir.h0, s)), np.add(xs, np.mul(dir.xs, s)));
              const primals = [p, h0, xs];
              const tangents = [dir.p, dir.h0, dir.xs];
              return {
                scanJvp: jvp(f, primals, tangents)[1] as MxArray,
                jitScanJvp: jit((...a: [RnnParams, MxArray, MxArray]) => jvp(f, a, tangents)[1] as MxArray)(p, h0, xs),
                loopJvp: jvp(rnnLoss(rnnLoop, reverse), primals, tangents)[1] as MxArray,
                fd: np.div(np.sub(at(eps), at(-eps)), 2 * eps),
              };
            }),
          );
          expectAllClose(r.scanJvp, r.loopJvp, { what: "jvp(scan) vs jvp(loop)" });
          expectAllClose(r.jitScanJvp, r.loopJvp, { what: "jit(jvp(scan)) vs jvp(loop)" });
          expectAllClose(r.scanJvp, r.fd, { rtol: 2e-2, atol: 2e-2, what: "jvp(scan) vs finite differences" });
        }),
        { numRuns: propertyRuns(backend, 5), ...SEED },
      );
    });

    it("vmap(scan) equals stacking the scans (batched xs, carry or weights), and jit(vmap(scan)) and vmap(grad(scan)) agree", async () => {
      await fc.assert(
        fc.asyncProperty(case_, fc.integer({ min: 1, max: 3 }), fc.constantFrom("xs", "h0", "p"), async ({ steps, m, n, seed, reverse }, size, mapped) => {
          const r = await readTree(
            tidy(() => {
              const examples = Array.from({ length: size }, (_, i) => rnnInputs(steps, m, n, seed + 5 * i));
              const inAxes = [mapped === "p" ? 0 : null, mapped === "h0" ? 0 : null, mapped === "xs" ? 0 : null];
              const args = [
                mapped === "p" ? tree.map((...ls: MxArray[]) => np.stack(ls), examples[0]!.p, ...examples.slice(1).map((e) => e.p)) : examples[0]!.p,
                mapped === "h0" ? np.stack(examples.map((e) => e.h0)) : examples[0]!.h0,
                mapped === "xs" ? np.stack(examples.map((e) => e.xs)) : examples[0]!.xs,
              ] as [RnnParams, MxArray, MxArray];
              const pick = (i: number) => [mapped === "p" ? examples[i]!.p : examples[0]!.p, mapped === "h0" ? examples[i]!.h0 : examples[0]!.h0, mapped === "xs" ? examples[i]!.xs : examples[0]!.xs] as [RnnParams, MxArray, MxArray];
              const f = (q: RnnParams, h: MxArray, x: MxArray) => rnnScan(q, h, x, reverse);
              const loss = rnnLoss(rnnScan, reverse);
              const stackTrees = (ts: unknown[]) => tree.map((...ls: MxArray[]) => np.stack(ls), ts[0], ...ts.slice(1));
              return {
                batched: vmap(f, { inAxes })(...args),
                jitBatched: jit(vmap(f, { inAxes }))(...args),
                stacked: stackTrees(Array.from({ length: size }, (_, i) => f(...pick(i)))),
                batchedGrad: vmap(grad(loss), { inAxes })(...args),
                stackedGrad: stackTrees(Array.from({ length: size }, (_, i) => grad(loss)(...pick(i)))),
              };
            }),
          );
          expectAllClose(flat(r.batched), flat(r.stacked), { what: "vmap(scan) vs stacked" });
          expectAllClose(flat(r.jitBatched), flat(r.stacked), { what: "jit(vmap(scan)) vs stacked" });
          expectAllClose(flat(r.batchedGrad), flat(r.stackedGrad), { rtol: 1e-4, atol: 1e-5, what: "vmap(grad(scan)) vs stacked grads" });
        }),
        { numRuns: propertyRuns(backend, 5), ...SEED },
      );
    });

    it("foriLoop equals the loop, with its gradient, eager and jitted", async () => {
      const r = await readTree(
        tidy(() => {
          const body = (i: MxArray, v: { x: MxArray; acc: MxArray }) => ({ x: np.sin(np.mul(v.x, 1.3)), acc: np.add(v.acc, np.mul(np.astype(i, "float32"), v.x)) });
          const f = (x: MxArray) => np.sum(lax.foriLoop(2, 6, body, { x, acc: np.zeros([3]) }).acc);
          const loop = (x: MxArray) => {
            let v = { x, acc: np.zeros([3]) };
            for (let i = 2; i < 6; i++) v = body(np.full([], i, "int32"), v);
            return np.sum(v.acc);
          };
          const x = np.array([0.3, -0.7, 1.1]);
          return { f: f(x), jf: jit(f)(x), loop: loop(x), g: grad(f)(x), jg: jit(grad(f))(x), loopG: grad(loop)(x), empty: lax.foriLoop(3, 3, body, { x, acc: np.zeros([3]) }).x };
        }),
      );
      expectAllClose(r.f, r.loop);
      expectAllClose(r.jf, r.loop);
      expectAllClose(r.g, r.loopG);
      expectAllClose(r.jg, r.loopG);
      expectAllClose(r.empty, [0.3, -0.7, 1.1], { what: "an empty range leaves the value" });
    });

    it("a training epoch as one program: SGD steps over a stacked batch array equal the step loop", async () => {
      const r = await readTree(
        tidy(() => {
          const { p, xb, yb } = netInputs(5, 4, 3);
          const step = netSgdStep(0.1);
          const epoch = jit((q: NetParams, x: MxArray, y: MxArray) => lax.scan(step, q, { x, y }));
          const [looped, loopLosses] = netEpochLoop(jit(step), p, xb, yb);
          const [trained, epochLosses] = epoch(p, xb, yb);
          return { trained, epochLosses, looped, loopLosses };
        }),
      );
      expectAllClose(flat(r.trained), flat(r.looped), { what: "params after the epoch" });
      expectAllClose(r.epochLosses, r.loopLosses, { what: "per-step losses" });
      expect(r.epochLosses[4]!).toBeLessThan(r.epochLosses[0]!);
    });
  });
}

describe("scan in the IR", () => {
  beforeAll(async () => {
    await setBackend("cpu");
  });

  it("is one equation with several results; it prints, typechecks, survives DCE and nests", () => {
    tidy(() => {
      const { p, h0, xs } = rnnInputs(3, 2, 2, 1);
      const closed = makeJaxpr((q: RnnParams, h: MxArray, x: MxArray) => rnnScan(q, h, x))(p, h0, xs);
      const scans = closed.jaxpr.eqns.filter(isScanEqn);
      expect(scans).toHaveLength(1);
      expect(scans[0]!.outs!.map((v) => v.aval.toString())).toEqual(["f32[1,2]", "f32[3,1,2]", "f32[3]"]);
      expect(closed.toString()).toMatch(/f32\[1,2\] \w+:f32\[3,1,2\] \w+:f32\[3\] = scan\[body=\{ lambda/);
      typecheckJaxpr(closed.jaxpr);
      const unrolled = inlineHigherOrder(closed.jaxpr);
      typecheckJaxpr(unrolled);
      expect(unrolled.eqns.filter(isScanEqn)).toHaveLength(0);
      const nested = makeJaxpr((x: MxArray) => lax.scan((c: MxArray, row: MxArray) => [np.add(c, lax.scan((d: MxArray, v: MxArray) => [np.mul(d, v), null], np.full([], 1), row)[0]), null], np.full([], 0), x))(np.ones([2, 3]));
      typecheckJaxpr(nested.jaxpr);
      expect(nested.toString().match(/scan\[/g)).toHaveLength(2);
      // grad of a nested scan: d/dx of sum_i prod_j x_ij.
      const x = np.array([[1, 2, 3], [0.5, -1, 2]]);
      const f = (a: MxArray) => lax.scan((c: MxArray, row: MxArray) => [np.add(c, lax.scan((d: MxArray, v: MxArray) => [np.mul(d, v), null], np.full([], 1), row)[0]), null], np.full([], 0), a)[0];
      expectAllClose(grad(f)(x).dataSync(), [6, 3, 2, -2, 1, -0.5]);
      expectAllClose(jit(grad(f))(x).dataSync(), [6, 3, 2, -2, 1, -0.5]);
    });
  });

  it("int32 xs and carries (labels, counters) pass through grad, jvp, vmap and jit with no tangent of their own", () => {
    tidy(() => {
      const w = np.array([[0.5, -1, 2], [1, 0.25, -0.5]]);
      const labels = np.array([[0, 2], [1, 1], [2, 0]], { dtype: "int32" });
      const xs = np.array([[[1, 2], [0, -1]], [[0.5, 0.5], [2, 1]], [[-1, 0], [1, 1]]]);
      const loss = (ww: MxArray) =>
        lax.scan(
          (c: { total: MxArray; n: MxArray }, b: { x: MxArray; y: MxArray }) => {
            const logits = np.matmul(b.x, ww);
            const picked = np.sum(np.mul(np.oneHot(b.y, 3), np.logSoftmax(logits)));
            return [{ total: np.sub(c.total, picked), n: np.add(c.n, 1) }, np.argmax(logits, -1)];
          },
          { total: np.full([], 0), n: np.full([], 0, "int32") },
          { x: xs, y: labels },
        )[0].total;
      const looped = (ww: MxArray) => {
        let total = np.full([], 0);
        for (let i = 0; i < 3; i++) {
          const x = np.squeeze(np.slice(xs, [i, 0, 0], [1, 2, 2]), 0);
          const y = np.squeeze(np.slice(labels, [i, 0], [1, 2]), 0);
          total = np.sub(total, np.sum(np.mul(np.oneHot(y, 3), np.logSoftmax(np.matmul(x, ww)))));
        }
        return total;
      };
      const want = grad(looped)(w).dataSync();
      expectAllClose(grad(loss)(w).dataSync(), want, { what: "grad" });
      expectAllClose(jit(grad(loss))(w).dataSync(), want, { what: "jit(grad)" });
      const dir = np.ones([2, 3]);
      expectAllClose((jvp(loss, [w], [dir])[1] as MxArray).dataSync(), (jvp(looped, [w], [dir])[1] as MxArray).dataSync(), { what: "jvp" });
      const ws = np.stack([w, np.mul(w, -1)]);
      expectAllClose((vmap(loss)(ws) as MxArray).dataSync(), [looped(w).item(), looped(np.mul(w, -1)).item()], { what: "vmap" });
    });
  });

  it("an eager scan leaves nothing behind but its results; a jitted one neither", () => {
    const { p, h0, xs } = rnnInputs(4, 2, 3, 2);
    const f = (q: RnnParams, h: MxArray, x: MxArray) => rnnScan(q, h, x);
    const jf = jit(f);
    dispose(jf(p, h0, xs));
    for (const run of [f, jf, (q: RnnParams, h: MxArray, x: MxArray) => grad(rnnLoss(rnnScan, false))(q, h, x)]) {
      const before = memory().numTensors;
      dispose(run(p, h0, xs));
      expect(memory().numTensors).toBe(before);
    }
    jf.clearCache();
    dispose([p, h0, xs]);
  });

  it("bad input gives one-line errors that name the culprit", () => {
    tidy(() => {
      const xs = { a: np.zeros([3, 2]), b: np.zeros([4]) };
      expect(() => lax.scan((c: MxArray) => [c, null], np.zeros([2]), xs)).toThrow(/scan: xs leaf xs\.b f32\[4\] has leading axis 4, but xs leaf xs\.a f32\[3,2\] says 3/);
      expect(() => lax.scan((c: { w: MxArray }) => [{ w: np.concatenate([c.w, c.w]) }, null], { w: np.zeros([1]) }, np.zeros([3, 2]))).toThrow(/scan: f returns carry init\.w as f32\[2\], but init has f32\[1\]/);
      expect(() => lax.scan((c: MxArray) => [c, null], np.zeros([2]), null)).toThrow(/number of steps must be given as \{ length \}/);
      expect(() => lax.scan((c: MxArray) => [c, null], np.zeros([2]), np.zeros([3]), { length: 2 })).toThrow(/has leading axis 3, but the length option says 2/);
      expect(() => lax.scan(((c: MxArray) => c) as never, np.zeros([2]), np.zeros([3]))).toThrow(/scan: f must return \[carry, y\]/);
      expect(() => lax.foriLoop(0, 2.5, (_i, v: MxArray) => v, np.zeros([1]))).toThrow(/foriLoop: lo and hi must be integers/);
    });
  });
});

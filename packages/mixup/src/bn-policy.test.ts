import { describe, expect, it } from "vitest";
import { grad, jit, namedScope, np, tag, tidy, type Array } from "@mmx/core";
import * as nn from "@mmx/nn";
import { key } from "@mmx/random";
import { assertAllClose, inputFor } from "@mmx/testing";
import { boundaries, manifoldMixup, mixup, trainStep } from "./index.js";
import { sgd } from "@mmx/optim";
import { softCrossEntropy } from "@mmx/losses";

/**
 * The batch-statistics policies against hand-written references, on a model whose batch norm is written
 * out (in a named scope, as every layer's equations are): statistics from the mixed batch, from the clean
 * batch, or mixing after the normalisation. And the warning when a boundary sits between statistics and
 * their use.
 */
const lerp = (h: Array, lam: number, perm: number[]) => np.add(np.mul(h, lam), np.mul(np.take(h, np.array(perm, { dtype: "int32" })), 1 - lam));
const stats = (h: Array) => {
  const m = np.mean(h, { axis: 0 });
  return { m, v: np.mean(np.square(np.sub(h, m)), { axis: 0 }) };
};
const normalise = (h: Array, s: { m: Array; v: Array }) => np.mul(np.sub(h, s.m), np.rsqrt(np.add(s.v, 1e-5)));

type Params = { w1: Array; w2: Array };
/** x → dense → tag "h" → tanh → batch norm (scope "bn") → tanh → dense. (With nothing but affine maps between the tag and the batch norm, "clean" and "after" would be the same function.) */
const bnModel = (p: Params, x: Array) => {
  const h = np.tanh(tag(np.matmul(x, p.w1), "h"));
  const n = namedScope("bn", () => normalise(h, stats(h)));
  return np.matmul(np.tanh(n), p.w2);
};
const head = (p: Params, n: Array) => np.matmul(np.tanh(n), p.w2);
const params = (): Params => ({ w1: inputFor([3, 4], 11), w2: inputFor([4, 2], 12) });
const LAM = 0.35;
const PERM = [3, 2, 0, 4, 1];
const Y = () => np.array([0, 1, 1, 0, 1], { dtype: "int32" });
const TOL = { rtol: 1e-4, atol: 1e-5 };

describe("bn policies against hand-written references", () => {
  const cases = {
    mixed: (h: Array) => normalise(np.tanh(lerp(h, LAM, PERM)), stats(np.tanh(lerp(h, LAM, PERM)))),
    clean: (h: Array) => normalise(np.tanh(lerp(h, LAM, PERM)), stats(np.tanh(h))),
    after: (h: Array) => lerp(normalise(np.tanh(h), stats(np.tanh(h))), LAM, PERM),
  } as const;
  for (const [bn, reference] of Object.entries(cases) as [keyof typeof cases, (h: Array) => Array][]) {
    it(`bn: "${bn}", eager and jitted, and its gradient`, () => {
      tidy(() => {
        const p = params();
        const x = inputFor([5, 3], 13);
        const expected = head(p, reference(np.matmul(x, p.w1)));
        const mixed = (q: Params, xs: Array) => mixup("h", LAM, { bn })(bnModel)(q, xs, Y(), PERM).out;
        assertAllClose(mixed(p, x).dataSync(), expected.dataSync(), { ...TOL, what: `${bn} eager` });
        assertAllClose(jit(mixed)(p, x).dataSync(), expected.dataSync(), { ...TOL, what: `${bn} jitted` });
        const gMixup = grad((q: Params) => np.sum(np.square(mixed(q, x))))(p);
        const gHand = grad((q: Params) => np.sum(np.square(head(q, reference(np.matmul(x, q.w1))))))(p);
        assertAllClose(gMixup.w1.dataSync(), gHand.w1.dataSync(), { ...TOL, what: `${bn} grad w1` });
      });
    });
  }

  it("the three policies give three different programs on this model (each test above can tell them apart)", () => {
    tidy(() => {
      const p = params();
      const x = inputFor([5, 3], 13);
      const outs = (["mixed", "clean", "after"] as const).map((bn) => mixup("h", LAM, { bn })(bnModel)(p, x, Y(), PERM).out.dataSync());
      for (const [a, b] of [[0, 1], [1, 2], [0, 2]] as const) expect(Math.max(...outs[a]!.map((v, i) => Math.abs(v - outs[b]![i]!)))).toBeGreaterThan(1e-3);
    });
  });

  it('bn: "clean" on nn.batchNorm in training mode: the running statistics are updated from the clean batch (the variance shows it: mixing keeps the batch mean)', () => {
    tidy(() => {
      const model = nn.sequential({ fc: nn.dense(4), bn: nn.batchNorm(), act: nn.relu, out: nn.dense(2) });
      const { params: q, state } = model.init(key(2), [-1, 3]);
      const forward = (pp: nn.ParamTree, xs: Array, st: unknown) => model.apply(pp, xs, { train: true, state: st });
      const x = inputFor([5, 3], 4);
      const clean = forward(q, x, state).state as { bn: { runningVar: Array } };
      const viaClean = mixup("fc", LAM, { bn: "clean" })(forward)(q, x, Y(), PERM, state).state as { bn: { runningVar: Array } };
      const viaMixed = mixup("fc", LAM)(forward)(q, x, Y(), PERM, state).state as { bn: { runningVar: Array } };
      assertAllClose(viaClean.bn.runningVar.dataSync(), clean.bn.runningVar.dataSync(), { ...TOL, what: "running variance (clean policy)" });
      expect(Math.max(...viaMixed.bn.runningVar.dataSync().map((v, i) => Math.abs(v - clean.bn.runningVar.dataSync()[i]!)))).toBeGreaterThan(1e-4);
    });
  });

  it('bn: "after" on a PreActResNet block boundary mixes after the next block\'s first batch norm, both of the block\'s paths', () => {
    tidy(() => {
      const model = nn.preActResNet18(3, { initialChannels: 2 });
      const { params: q, state } = model.init(key(3), [-1, 32, 32, 3]);
      const forward = (pp: nn.ParamTree, xs: Array, st: unknown) => model.apply(pp, xs, { train: true, state: st });
      const x = inputFor([2, 32, 32, 3], 5);
      // layer1.0 → layer1.1's bn1 then relu: a = relu(bn1(h)), out = conv2(...) + h. Mixing after bn1 mixes bn1(h) and the skip h.
      const qq = q as Record<string, any>;
      const ss = state as Record<string, any>;
      const L = model.layers as Record<string, any>;
      const h0 = L.conv1.apply(qq.conv1, x).out;
      const h1 = L.layer1.layers["0"].apply(qq.layer1["0"], h0, { train: true, state: ss.layer1["0"] }).out;
      const block = L.layer1.layers["1"];
      const bn1 = nn.batchNorm().apply(qq.layer1["1"].bn1, h1, { train: true, state: ss.layer1["1"].bn1 }).out;
      const a = np.maximum(lerp(bn1, 0.5, [1, 0]), 0);
      const inner = nn.conv2d(2, 3, { padding: 1, bias: false, inChannels: 2 });
      const c1 = inner.apply(qq.layer1["1"].conv1, a).out;
      const bn2 = nn.batchNorm().apply(qq.layer1["1"].bn2, c1, { train: true, state: ss.layer1["1"].bn2 }).out;
      let h = np.add(inner.apply(qq.layer1["1"].conv2, np.maximum(bn2, 0)).out, lerp(h1, 0.5, [1, 0]));
      for (const stage of ["layer2", "layer3", "layer4"]) h = L[stage].apply(qq[stage], h, { train: true, state: ss[stage] }).out;
      const expected = L.head.apply(qq.head, h).out;
      expect(block.kind).toBe("preActBlock");
      const y = np.array([0, 2], { dtype: "int32" });
      const got = mixup("layer1.0", 0.5, { bn: "after" })(forward)(q, x, y, [1, 0], state).out;
      assertAllClose(got.dataSync(), expected.dataSync(), { ...TOL, what: "out" });
    });
  });
});

describe("the warning when a boundary sits between a batch statistic and its use", () => {
  /** The tag sits inside the batch norm: after its statistics, before the normalisation. */
  const inside = () => (p: Params, x: Array) => {
    const h = np.matmul(x, p.w1);
    const n = namedScope("block.bn", () => {
      const s = stats(h);
      return normalise(tag(h, "inside"), s);
    });
    return np.matmul(np.tanh(n), p.w2);
  };

  it("is one line naming the boundary and the statistics' scope, once per model and boundary; the listing shows the statistics", () => {
    tidy(() => {
      const p = params();
      const x = inputFor([5, 3], 13);
      const f = inside();
      const messages: string[] = [];
      for (let i = 0; i < 3; i++) mixup("inside", LAM, { onWarning: (m) => messages.push(m) })(f)(p, x, Y(), PERM);
      expect(messages).toEqual([
        'mixup: boundary 1 "inside" sits between the batch statistics of "block.bn" and their use: the mixed batch is normalised with statistics of the clean one (bn: "clean" asks for that everywhere; bn: "after" mixes after the normalisation)',
      ]);
      expect(messages[0]).not.toContain("\n");
      expect(boundaries(f, p, x)[1]!.statistics.map((s) => `${s.madeBy} ${s.scope} [${s.shape}]`)).toEqual(["div block.bn [4]", "div block.bn [4]"]);
      // Another model function warns for itself.
      mixup("inside", LAM, { onWarning: (m) => messages.push(m) })(inside())(p, x, Y(), PERM);
      expect(messages).toHaveLength(2);
    });
  });

  it('is not given under bn: "clean" (clean statistics are what was asked for), nor where no statistic straddles the boundary', () => {
    tidy(() => {
      const p = params();
      const x = inputFor([5, 3], 13);
      const messages: string[] = [];
      mixup("inside", LAM, { bn: "clean", onWarning: (m) => messages.push(m) })(inside())(p, x, Y(), PERM);
      mixup("h", LAM, { onWarning: (m) => messages.push(m) })(bnModel)(p, x, Y(), PERM);
      // Every boundary of a PreActResNet in training mode: batch norms are whole between tags (their running statistics are outputs, not uses).
      const model = nn.preActResNet18(3, { initialChannels: 1 });
      const { params: q, state } = model.init(key(4), [-1, 32, 32, 3]);
      const forward = (pp: nn.ParamTree, xs: Array, st: unknown) => model.apply(pp, xs, { train: true, state: st });
      const xs = inputFor([2, 32, 32, 3], 6);
      for (const b of boundaries(forward, q, xs, state)) expect(b.statistics, b.name).toEqual([]);
      expect(messages).toEqual([]);
    });
  });

  it("inside a batch norm, the clean policy equals normalising the mixed values with the clean statistics; after mixes the normalised values", () => {
    tidy(() => {
      const p = params();
      const x = inputFor([5, 3], 13);
      const h = np.matmul(x, p.w1);
      const clean = head(p, normalise(lerp(h, LAM, PERM), stats(h)));
      const after = head(p, lerp(normalise(h, stats(h)), LAM, PERM));
      assertAllClose(mixup("inside", LAM, { bn: "clean" })(inside())(p, x, Y(), PERM).out.dataSync(), clean.dataSync(), { ...TOL, what: "clean" });
      assertAllClose(mixup("inside", LAM, { bn: "after" })(inside())(p, x, Y(), PERM).out.dataSync(), after.dataSync(), { ...TOL, what: "after" });
    });
  });

  it("trainStep passes mixupOptions to mixup (bn: \"clean\" updates running statistics from the clean batch) and checks them when built", () => {
    tidy(() => {
      const model = nn.sequential({ fc: nn.dense(4), bn: nn.batchNorm(), out: nn.dense(2) });
      const { params: q, state } = model.init(key(5), [-1, 3]);
      const x = inputFor([5, 3], 8);
      const cleanVar = (model.apply(q, x, { train: true, state }).state as { bn: { runningVar: Array } }).bn.runningVar.dataSync();
      const policy = manifoldMixup({ alpha: 1, layers: ["fc"] });
      const runningVar = (mixupOptions?: { bn: "clean" }) => {
        const step = trainStep({ model, loss: softCrossEntropy, optimizer: sgd({ lr: 0.1 }), policy, donate: false, ...(mixupOptions ? { mixupOptions } : {}) });
        const r = step(step.init(q, state), x, Y(), key(6));
        return (r.state.modelState as { bn: { runningVar: Array } }).bn.runningVar.dataSync();
      };
      assertAllClose(runningVar({ bn: "clean" }), cleanVar, { ...TOL, what: "running variance, clean policy" });
      expect(Math.max(...runningVar().map((v, i) => Math.abs(v - cleanVar[i]!)))).toBeGreaterThan(1e-4);
      const bad = () => trainStep({ model, loss: softCrossEntropy, optimizer: sgd({ lr: 0.1 }), mixupOptions: { bn: "half" as never } });
      expect(bad).toThrow('trainStep: mixupOptions: bn must be "mixed", "clean", "after", got "half"');
    });
  });
});

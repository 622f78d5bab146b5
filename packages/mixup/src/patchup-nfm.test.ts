import { describe, expect, it } from "vitest";
import { np, tag, tidy, tree, type Array } from "@mmx/core";
import { bceSoftmax, softCrossEntropy } from "@mmx/losses";
import * as nn from "@mmx/nn";
import { sgd } from "@mmx/optim";
import { foldIn, key } from "@mmx/random";
import { manifoldMixup, mixup, patchUpTerm, trainStep } from "./index.js";

/**
 * PatchUp's and Noisy Feature Mixup's details as their official code has them: soft PatchUp's interpolated blocks,
 * PatchUp's objective, and NFM's Beta(2, 5)-scaled noise levels; each checked against the formula on the host.
 */

type P = { s: Array; w: Array };
const model = (p: P, x: Array) => np.matmul(np.mean(tag(np.mul(x, p.s), "map"), { axis: [1, 2] }), p.w);
const setup = (batch: number, h = 8, w = 8, c = 3) => {
  const p: P = { s: np.array(1), w: np.array(Float32Array.from({ length: c * 4 }, (_, i) => Math.cos(i)), { shape: [c, 4] }) };
  const x = np.array(Float32Array.from({ length: batch * h * w * c }, (_, i) => Math.sin(i * 0.7)), { shape: [batch, h, w, c] });
  return { p, x, list: mixup.boundaries(model, p, x) };
};

describe("soft PatchUp", () => {
  it("the blocks interpolate with λ ~ Beta(α, α): the hard draw's zeros become λ, and the targets weight ρ + (1 − ρ)·λ", () =>
    tidy(() => {
      const { list } = setup(6);
      for (let s = 0; s < 10; s++) {
        const patchup = { gamma: 0.4, blockSize: 3 } as const;
        const hard = manifoldMixup({ alpha: 0, layers: ["map"], patchup }).sample(key(s), list);
        const soft = manifoldMixup({ alpha: 0, layers: ["map"], patchup: { ...patchup, mode: "soft", alpha: 2 } }).sample(key(s), list);
        if (hard.mixing.kind !== "mask" || soft.mixing.kind !== "mask") throw new Error("expected masks");
        const [h, m] = [[...hard.mixing.mask.dataSync()], [...soft.mixing.mask.dataSync()]];
        const swapped = h.filter((v) => v === 0).length;
        if (swapped === 0) continue;
        // One draw per batch: every swapped cell of the hard mask holds the same λ in the soft one.
        const lambdas = new Set(m.filter((_, i) => h[i] === 0));
        expect(lambdas.size).toBe(1);
        const lambda = [...lambdas][0]!;
        expect(lambda).toBeGreaterThan(0);
        expect(lambda).toBeLessThan(1);
        m.forEach((v, i) => h[i] === 1 && expect(v).toBe(1));
        const rho = 1 - swapped / h.length;
        expect(soft.lambda).toBeCloseTo(rho + (1 - rho) * lambda, 6);
      }
    }));

  it("rejects a mode it does not know and a non-positive α", () => {
    expect(() => manifoldMixup({ alpha: 1, layers: [0], patchup: { gamma: 0.5, blockSize: 2, mode: "medium" as never } })).toThrow('manifoldMixup: patchup.mode must be one of hard, soft, got "medium"');
    expect(() => manifoldMixup({ alpha: 1, layers: [0], patchup: { gamma: 0.5, blockSize: 2, mode: "soft", alpha: 0 } })).toThrow("manifoldMixup: patchup.alpha must be a finite number > 0, got 0");
  });
});

describe("PatchUp's objective", () => {
  /** The term by hand: per example, ρ·ℓ(own) + (1 − ρ)·ℓ(targets of the altered part), each ℓ on that example alone. */
  const byHand = (loss: (o: Array, t: Array) => Array, out: Array, rows: number[][], mask: number[][], perm: number[]) => {
    const classes = rows[0]!.length;
    let total = 0;
    rows.forEach((row, i) => {
      const m = mask[i]!;
      const rho = m.filter((v) => v === 1).length / m.length;
      const kept = m.reduce((a, b) => a + b, 0) / m.length;
      const own = rho < 1 ? (kept - rho) / (1 - rho) : 0;
      const altered = row.map((v, c) => own * v + (1 - own) * rows[perm[i]!]![c]!);
      const o = np.reshape(np.take(out, [i], 0), [1, classes]);
      const l = (t: number[]) => loss(o, np.array(t, { shape: [1, classes] })).item();
      total += rho * l(row) + (1 - rho) * l(altered);
    });
    return total / rows.length;
  };

  it("is ρ·ℓ(y_a) + (1 − ρ)·ℓ(y_b) per example, for hard and soft masks and a loss not linear in its targets", () =>
    tidy(() => {
      const out = np.array([0.3, -1, 2, 0.5, 0.1, -0.2, 1.5, 0, -1, 0.7, 0.2, 0.9], { shape: [4, 3] });
      const rows = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0.1, 0.8, 0.1]];
      const masks = {
        hard: [[1, 0, 1, 1], [0, 0, 1, 1], [1, 1, 1, 1], [0, 1, 1, 0]],
        soft: [[1, 0.3, 1, 1], [0.6, 0.6, 1, 1], [1, 1, 1, 1], [0.2, 1, 1, 0.2]],
      };
      const perm = [2, 3, 0, 1];
      const squared = (o: Array, t: Array) => np.mean(np.square(np.sub(np.softmax(o, -1), np.square(t))));
      for (const [kind, mask] of Object.entries(masks)) {
        for (const loss of [bceSoftmax, squared]) {
          const term = patchUpTerm(loss, out, np.array(rows.flat(), { shape: [4, 3] }), np.array(mask.flat(), { shape: [4, 2, 2, 1] }), np.array(perm, { dtype: "int32" }));
          expect(term.item(), kind).toBeCloseTo(byHand(loss, out, rows, mask, perm), 5);
        }
      }
    }));

  it("with a loss linear in its targets the term is ℓ(f, W): trainStep's PatchUp steps report twice the mask loss", () => {
    const net = nn.sequential({ c: nn.conv2d(4, 3, { padding: 1, inChannels: 2 }), act: nn.relu, f: nn.flatten, out: nn.dense(6 * 6 * 4, 3) });
    const x = np.array(Float32Array.from({ length: 6 * 72 }, (_, i) => Math.sin(i * 0.37)), { shape: [6, 6, 6, 2] });
    const y = np.array(Int32Array.from({ length: 6 }, (_, i) => i % 3), { dtype: "int32" });
    const { params } = net.init(key(0), [-1, 6, 6, 2]);
    const copy = (t: nn.ParamTree) => tree.map((a) => np.add(a, 0), t);
    for (const mode of ["hard", "soft"] as const) {
      for (const loss of [bceSoftmax, softCrossEntropy]) {
        const policy = manifoldMixup({ alpha: 0, layers: ["c"], patchup: { gamma: 0.5, blockSize: 2, mode }, lambdaMode: "elem" });
        const losses = [false, true].map((patchUpLoss) => {
          const step = trainStep({ model: net, loss, optimizer: sgd({ lr: 0.1 }), policy, patchUpLoss, labelSmoothing: 0.1 });
          const r = step(step.init(copy(params)), x, y, foldIn(key(5), 1));
          expect(r.kind).toBe("mask");
          return r.loss.item();
        });
        expect(losses[1], `${mode} ${loss.name}`).toBeCloseTo(2 * losses[0]!, 5);
      }
    }
    // Lerp steps are untouched by the option.
    const lerp = [false, true].map((patchUpLoss) => {
      const step = trainStep({ model: net, loss: bceSoftmax, optimizer: sgd({ lr: 0.1 }), policy: manifoldMixup({ alpha: 1, layers: ["c"] }), patchUpLoss });
      return step(step.init(copy(params)), x, y, key(2)).loss.item();
    });
    expect(lerp[1]).toBe(lerp[0]);
    expect(() => trainStep({ model: net, loss: bceSoftmax, optimizer: sgd({ lr: 0.1 }), patchUpLoss: "yes" as never })).toThrow('trainStep: patchUpLoss must be true or false, got "yes"');
  });
});

describe("Noisy Feature Mixup's noise levels", () => {
  it("are σ·b with b ~ Beta(2, 5) once per step, one b for the additive noise and another for the multiplicative", () =>
    tidy(() => {
      const { list } = setup(2, 4, 4, 2);
      const scales = { add: [] as number[], mult: [] as number[] };
      for (let s = 0; s < 300; s++) {
        const noise = { add: 0.4, mult: 0.2 };
        const fixed = manifoldMixup({ alpha: 1, layers: ["map"], noise: { ...noise, fixedLevels: true } }).sample(key(s), list).mixing.noise!;
        const scaled = manifoldMixup({ alpha: 1, layers: ["map"], noise }).sample(key(s), list).mixing.noise!;
        for (const field of ["add", "mult"] as const) {
          const [f, g] = [[...fixed[field]!.dataSync()], [...scaled[field]!.dataSync()]];
          // The same draws, scaled by one factor per step: g = b·f elementwise.
          const b = g[0]! / f[0]!;
          expect(Math.max(...g.map((v, i) => Math.abs(v - b * f[i]!)))).toBeLessThan(1e-5);
          expect(b).toBeGreaterThan(0);
          expect(b).toBeLessThan(1);
          scales[field].push(b);
        }
      }
      const mean = (v: number[]) => v.reduce((a, c) => a + c, 0) / v.length;
      const variance = (v: number[]) => mean(v.map((b) => (b - mean(v)) ** 2));
      // Beta(2, 5): mean 2/7, variance 10/392.
      for (const field of ["add", "mult"] as const) {
        expect(Math.abs(mean(scales[field]) - 2 / 7)).toBeLessThan(0.03);
        expect(Math.abs(variance(scales[field]) - 10 / 392)).toBeLessThan(0.008);
      }
      expect(scales.add).not.toEqual(scales.mult);
      expect(() => manifoldMixup({ alpha: 1, layers: [0], noise: { add: 0.1, fixedLevels: "yes" as never } })).toThrow('manifoldMixup: noise.fixedLevels must be true or false, got "yes"');
    }));
});

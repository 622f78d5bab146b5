import { describe, expect, it } from "vitest";
import { grad, np, tag, tidy, type Array } from "@mmx/core";
import { bceSoftmax, mixedLoss, softCrossEntropy } from "@mmx/losses";
import fixture from "./fixtures/mlp-mixup-pytorch.json" with { type: "json" };
import { mixup } from "./index.js";

/**
 * The official formula in PyTorch (packages/mixup/scripts/mixup_reference.py; regenerate with
 * `/usr/bin/python3 packages/mixup/scripts/mixup_reference.py`): an MLP 4-8-8-3, λ = 0.3, a fixed
 * permutation, mixing at the input (k = 0) and after each hidden ReLU (k = 1, 2); loss = BCELoss on
 * softmax probabilities against the mixed one-hot targets. mmx must give the same loss and gradients.
 */
type Layer = { kernel: Array; bias: Array };
type Tensor = { shape: number[]; f64: number[] };

const arr = (t: Tensor) => np.array(t.f64, { shape: t.shape });

/** A plain model function: no mixup-aware code, boundaries marked with tags after each ReLU. */
function mlp(params: Layer[], x: Array): Array {
  let h = x;
  params.forEach((p, i) => {
    h = np.add(np.matmul(h, p.kernel), p.bias);
    if (i < params.length - 1) h = tag(np.maximum(h, 0), `hidden${i + 1}`);
  });
  return h;
}

const transpose2d = (flat: number[], [rows, cols]: number[]) => Array_from(cols * rows, (i) => flat[(i % rows) * cols + Math.floor(i / rows)]!);
const Array_from = (n: number, f: (i: number) => number) => globalThis.Array.from({ length: n }, (_, i) => f(i));

function expectClose(actual: ArrayLike<number>, expected: number[], tol: number, what: string) {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i]! - expected[i]!), `${what}[${i}]: ${actual[i]} vs ${expected[i]}`).toBeLessThanOrEqual(tol * (1 + Math.abs(expected[i]!)));
  }
}

describe("mixup against the official formula in PyTorch", () => {
  for (const c of fixture.cases) {
    it(`k = ${c.k}: BCE-on-softmax loss and every gradient match`, () => {
      tidy(() => {
        const params: Layer[] = fixture.layers.map((l) => ({ kernel: arr(l.kernel), bias: arr(l.bias) }));
        const x = arr(fixture.x);
        const y = np.array(fixture.y, { dtype: "int32" });
        const loss = (p: Layer[], xs: Array) => {
          const { out, targets } = mixup(c.k, fixture.lambda)(mlp)(p, xs, y, fixture.perm);
          return bceSoftmax(out, targets);
        };
        const { out, targets } = mixup(c.k, fixture.lambda)(mlp)(params, x, y, fixture.perm);
        expectClose(out.dataSync(), c.out.f64, 1e-5, "out");
        expectClose(targets.dataSync(), c.targets.f64, 1e-6, "targets");
        expectClose([loss(params, x).item()], c.bce.loss.f64, 1e-6, "loss");
        const [gParams, gx] = grad(loss, { argnums: [0, 1] })(params, x) as [Layer[], Array];
        c.bce.grads.layers.forEach((g, i) => {
          // PyTorch's weight gradient is [out, in]; mmx's kernel is [in, out].
          expectClose(gParams[i]!.kernel.dataSync(), transpose2d(g.weight.f64, g.weight.shape), 1e-5, `layer ${i} kernel grad`);
          expectClose(gParams[i]!.bias.dataSync(), g.bias.f64, 1e-5, `layer ${i} bias grad`);
        });
        expectClose(gx.dataSync(), c.bce.grads.x.f64, 1e-5, "x grad");
      });
    });

    it(`k = ${c.k}: the soft-target and the mixed-loss forms match too`, () => {
      tidy(() => {
        const params: Layer[] = fixture.layers.map((l) => ({ kernel: arr(l.kernel), bias: arr(l.bias) }));
        const x = arr(fixture.x);
        const y = np.array(fixture.y, { dtype: "int32" });
        const soft = (p: Layer[]) => {
          const { out, targets } = mixup(c.k, fixture.lambda)(mlp)(p, x, y, fixture.perm);
          return softCrossEntropy(out, targets);
        };
        const mixed = (p: Layer[]) => mixedLoss(softCrossEntropy, fixture.lambda, y, fixture.perm)(mixup(c.k, fixture.lambda)(mlp)(p, x, y, fixture.perm).out);
        expectClose([soft(params).item()], c.soft_ce.loss.f64, 1e-6, "soft CE");
        expectClose([mixed(params).item()], c.mixed_ce.loss.f64, 1e-6, "mixed CE");
        const g = grad(mixed)(params) as Layer[];
        c.mixed_ce.grads.layers.forEach((gl, i) => expectClose(g[i]!.kernel.dataSync(), transpose2d(gl.weight.f64, gl.weight.shape), 1e-5, `mixed CE layer ${i} kernel grad`));
      });
    });
  }
});

import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dispose, hessian, np, setBackend, tree, type Array, type PyTree } from "@mmx/core";
import { batches } from "@mmx/data";
import { bceSoftmax } from "@mmx/losses";
import type * as nn from "@mmx/nn";
import { key } from "@mmx/random";
import { reshapeBatch } from "./datasets.js";
import { openRun } from "./open-run.js";
import { run, tempDir } from "./test-helpers.js";

/**
 * `mmx eval --flatness`: the sharpness of a saved run's training loss, printed and saved with the evaluation;
 * on a run small enough to form its Hessian, it is the eigenvalue of largest magnitude of that Hessian.
 */

/** The eigenvalue of largest magnitude of a symmetric matrix, by plain power iteration in float64 on the host. */
function topEigenvalue(h: Float64Array, n: number): number {
  let v = Float64Array.from({ length: n }, (_, i) => Math.cos(i * 1.3) + 0.1);
  let estimate = 0;
  for (let it = 0; it < 5000; it++) {
    const w = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) w[i]! += h[i * n + j]! * v[j]!;
    const norm = Math.hypot(...w);
    estimate = v.reduce((s, vi, i) => s + vi * w[i]!, 0) / v.reduce((s, vi) => s + vi * vi, 0);
    v = w.map((x) => x / norm);
  }
  return estimate;
}

describe("mmx eval --flatness", () => {
  it("reports the training loss's largest Hessian eigenvalue: the explicit Hessian's", async () => {
    const out = join(tempDir(), "run");
    const trained = await run(["train", "--dataset", "spirals", "--n-train", "64", "--n-test", "32", "--batch", "32", "--epochs", "2", "--hidden", "4", "--backend", "cpu", "--quiet", "--out", out]);
    expect(trained.code, trained.stderr).toBe(0);
    const evaluated = await run(["eval", out, "--flatness", "--flatness-examples", "32", "--json"]);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const { flatness } = JSON.parse(evaluated.stdout) as { flatness: { eigenvalue: number; iterations: number; converged: boolean; examples: number } };
    expect(flatness.examples).toBe(32);
    expect(Number.isFinite(flatness.eigenvalue)).toBe(true);
    const text = await run(["eval", out, "--flatness", "--flatness-examples", "32"]);
    expect(text.stdout).toMatch(/^sharpness -?[\d.]+(e[-+]\d+)? \(Hessian's largest eigenvalue, 32 training examples, \d+ iterations(, not converged)?\)\n$/m);

    // The same loss (clean BCE targets, evaluation mode) over the params as one flat vector, and its Hessian.
    await setBackend("cpu");
    const opened = await openRun(out, "eval");
    const [leaves, def] = tree.flatten(opened.params) as [Array[], ReturnType<typeof tree.flatten>[1]];
    const first = batches(opened.data.train, { batchSize: 32, shuffle: false, transform: (x) => reshapeBatch(x, opened.input), key: key(0) }).next().value!;
    const theta = np.concatenate(leaves.map((l) => np.reshape(l, [l.size])));
    const offsets = leaves.map((_, i) => leaves.slice(0, i).reduce((s, l) => s + l.size, 0));
    const unflat = (t: Array): PyTree => tree.unflatten(def, leaves.map((l, i) => np.reshape(np.slice(t, [offsets[i]!], [l.size]), l.shape)));
    const loss = (t: Array) => bceSoftmax(opened.model.apply(unflat(t) as nn.ParamTree, first.x, { train: false, state: opened.modelState }).out, np.oneHot(first.y, 2));
    const h = hessian(loss)(theta);
    const top = topEigenvalue(Float64Array.from(h.dataSync()), theta.size);
    expect(Math.abs(flatness.eigenvalue - top), `power iteration on hvp ${flatness.eigenvalue} vs the explicit Hessian's ${top} (${theta.size} params)`).toBeLessThan(1e-3 * Math.max(1, Math.abs(top)) + 1e-5);
    dispose([opened.params, opened.modelState, first.x, first.y, theta, h]);
  }, 120_000);

  it("refuses a bad example count in one line", async () => {
    const r = await run(["eval", "/nonexistent", "--flatness", "--flatness-examples", "0"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--flatness-examples/);
  });
});

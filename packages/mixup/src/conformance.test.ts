import { describe, expect, it } from "vitest";
import { np, type Array } from "@mmx/core";
import * as nn from "@mmx/nn";
import { key } from "@mmx/random";
import { assertConformance, inputFor, runConformance, type MixupTransform } from "@mmx/testing";
import { mixup } from "./index.js";

/**
 * @mmx/testing's conformance suite run on mmx's own transform with @mmx/nn's models (in evaluation mode), on every
 * backend under test; and on deliberately broken transforms, which it must fail.
 */
const labels = (batch: number, classes: number) => np.array(globalThis.Array.from({ length: batch }, (_, i) => (i * 3 + 1) % classes), { dtype: "int32" });

function subject(model: nn.Model, exampleShape: readonly number[], batch: number, classes: number) {
  const { params } = model.init(key(0), [batch, ...exampleShape]);
  return {
    model: (p: nn.ParamTree, x: Array) => model.apply(p, x, { train: false }).out,
    params,
    x: inputFor([batch, ...exampleShape], 3),
    y: labels(batch, classes),
    layers: model.mixupLayers,
  };
}

/** Pairs the labels with the reversed batch, not with perm: the mistake the suite exists to catch. */
const labelsPairedDifferently: MixupTransform = (layer, lambda) => (f) => (params, x, y, perm) => {
  const { out } = mixup(layer, lambda)(f)(params, x, y, perm);
  const reversed = globalThis.Array.from({ length: x.shape[0]! }, (_, i) => x.shape[0]! - 1 - i);
  const { targets } = mixup(0, lambda)((_: unknown, h: Array) => h)(null, np.oneHot(y, out.shape.at(-1)!), y, reversed);
  return { out, targets };
};

/** Mixes with 1 − λ for the features (the lerp written the other way round), right targets. */
const lambdaSwapped: MixupTransform = (layer, lambda) => (f) => (params, x, y, perm) => {
  const flipped = typeof lambda === "number" ? 1 - lambda : np.sub(1, lambda);
  const { out } = mixup(layer, flipped)(f)(params, x, y, perm);
  return { out, targets: mixup(layer, lambda)(f)(params, x, y, perm).targets };
};
lambdaSwapped.boundaries = mixup.boundaries;

describe("the conformance suite on mmx's mixup", () => {
  it("passes on nn.mlp at every boundary of its mixing set, on every backend under test", async () => {
    const report = await assertConformance({ mixup, ...subject(nn.mlp([6, 8, 8, 4]), [6], 5, 4) });
    expect(new Set(report.results.map((r) => r.check))).toEqual(new Set(["same-permutation", "lambda-one-identity", "per-example-lambda", "no-in-place-reuse"]));
    expect(report.results.every((r) => r.status === "pass")).toBe(true);
  });

  it("passes on nn.smallCnn (conv, pooling) at the input and after each conv block", async () => {
    const report = await assertConformance({ mixup, ...subject(nn.smallCnn({ classes: 3 }), [28, 28, 1], 3, 3) });
    expect(new Set(report.results.map((r) => r.layer))).toEqual(new Set(["0", "1", "2"]));
  }, 60_000);

  it("lists the boundaries itself when no layers are given (all but the output)", async () => {
    const { layers: _, ...s } = subject(nn.mlp([3, 5, 2]), [3], 4, 2);
    const report = await runConformance({ mixup, ...s }, { checks: ["lambda-one-identity"] });
    expect(report.passed).toBe(true);
    expect([...new Set(report.results.map((r) => r.layer))]).toEqual(["0 input", "1 hidden1"]);
  });
});

describe("the conformance suite fails broken transforms", () => {
  it("labels paired by another permutation fail same-permutation (and only the target checks)", async () => {
    const report = await runConformance({ mixup: labelsPairedDifferently, ...subject(nn.mlp([6, 8, 4]), [6], 5, 4) });
    expect(report.passed).toBe(false);
    const failed = report.results.filter((r) => r.status === "fail");
    expect(failed.map((r) => r.check)).toContain("same-permutation");
    expect(failed.find((r) => r.check === "same-permutation")!.message).toMatch(/^targets row 0 at λ = 0 is \[.*\], expected one-hot of y\[perm\[0\]\] = y\[1\] = \d: the labels are not paired by the features' permutation$/);
    // λ = 1 cannot see the pairing.
    expect(report.results.filter((r) => r.check === "lambda-one-identity").every((r) => r.status === "pass")).toBe(true);
    await expect(assertConformance({ mixup: labelsPairedDifferently, ...subject(nn.mlp([6, 8, 4]), [6], 5, 4) })).rejects.toThrow(/^mixup conformance: \d+ of \d+ checks failed\nsame-permutation on \w+ at 0: targets row 0/);
  });

  it("features mixed with 1 − λ fail λ = 1 identity and same-permutation", async () => {
    const report = await runConformance({ mixup: lambdaSwapped, ...subject(nn.mlp([6, 8, 4]), [6], 4, 4), layers: undefined });
    const failed = new Set(report.results.filter((r) => r.status === "fail").map((r) => r.check));
    expect(failed).toEqual(new Set(["lambda-one-identity", "same-permutation"]));
  });

  it("refuses a batch too small to tell a pairing from its inverse, and int labels of the wrong shape", async () => {
    const s = subject(nn.mlp([6, 4]), [6], 2, 4);
    await expect(runConformance({ mixup, ...s })).rejects.toThrow(/^runConformance: x has a batch of 2; give at least 3 examples/);
    const t = subject(nn.mlp([6, 4]), [6], 4, 4);
    await expect(runConformance({ mixup, ...t, y: np.oneHot(t.y, 4) })).rejects.toThrow(/^runConformance: y must be int32 labels of shape \[4\], got float32\[4,4\]$/);
  });
});

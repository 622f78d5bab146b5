import { describe, expect, it } from "vitest";
import { Array, np, tag } from "@mmx/core";
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
  if (!(typeof lambda === "number" || lambda instanceof Array)) throw new TypeError("λ only");
  const flipped = typeof lambda === "number" ? 1 - lambda : np.sub(1, lambda);
  const { out } = mixup(layer, flipped)(f)(params, x, y, perm);
  return { out, targets: mixup(layer, lambda)(f)(params, x, y, perm).targets };
};
lambdaSwapped.boundaries = mixup.boundaries;

describe("the conformance suite on mmx's mixup", () => {
  it("passes on nn.mlp at every boundary of its mixing set, on every backend under test", async () => {
    const report = await assertConformance({ mixup, ...subject(nn.mlp([6, 8, 8, 4]), [6], 5, 4) });
    const ran = report.results.filter((r) => r.status !== "skip");
    expect(new Set(ran.map((r) => r.check))).toEqual(new Set(["same-permutation", "lambda-one-identity", "per-example-lambda", "no-in-place-reuse"]));
    expect(ran.every((r) => r.status === "pass")).toBe(true);
    // The per-example path was vmap over λ (a fallback would leave a note).
    expect(ran.filter((r) => r.check === "per-example-lambda").map((r) => r.message)).toEqual(["", "", "", "", "", ""]);
  });

  it("passes on nn.smallCnn (conv, pooling) at the input and after each conv block", async () => {
    const report = await assertConformance({ mixup, ...subject(nn.smallCnn({ classes: 3 }), [28, 28, 1], 3, 3) });
    expect(new Set(report.results.filter((r) => r.status === "pass").map((r) => r.layer))).toEqual(new Set(["0", "1", "2"]));
  }, 60_000);

  it("lists the boundaries itself when no layers are given (all but the output)", async () => {
    const { layers: _, ...s } = subject(nn.mlp([3, 5, 2]), [3], 4, 2);
    const report = await runConformance({ mixup, ...s }, { checks: ["lambda-one-identity"] });
    expect(report.passed).toBe(true);
    expect([...new Set(report.results.map((r) => r.layer))]).toEqual(["0 input", "1 hidden1"]);
  });
});

/** A residual block by hand: the tag "block.inner" sits inside it, so the skip value h crosses its cut. */
const residual = {
  model: (p: { w1: Array; w2: Array; w3: Array; w4: Array }, x: Array) => {
    const h = tag(np.tanh(np.matmul(x, p.w1)), "stem");
    const inner = tag(np.tanh(np.matmul(h, p.w2)), "block.inner");
    return np.matmul(np.add(h, np.matmul(inner, p.w3)), p.w4);
  },
  params: { w1: inputFor([5, 6], 11), w2: inputFor([6, 6], 12), w3: inputFor([6, 6], 13), w4: inputFor([6, 3], 14) },
  x: inputFor([4, 5], 15),
  y: labels(4, 3),
};

describe("the mask and cut-point checks", () => {
  it("mmx's mixup passes them on nn.mlp and nn.smallCnn, and on a residual block mixed inside", async () => {
    for (const s of [subject(nn.mlp([6, 8, 8, 4]), [6], 5, 4), subject(nn.smallCnn({ classes: 3 }), [28, 28, 1], 3, 3)]) {
      const report = await assertConformance({ mixup, ...s, supports: { masks: true, cutPoints: true } }, { checks: ["mask-kept-area", "cut-point"] });
      expect(report.results.length).toBeGreaterThan(0);
    }
    const report = await assertConformance({ mixup, ...residual, supports: { masks: true, cutPoints: true } }, { checks: ["mask-kept-area", "cut-point"] });
    expect([...new Set(report.results.map((r) => r.layer))]).toEqual(["0 input", "1 stem", "2 block.inner"]);
  }, 60_000);

  it("they are skipped, with the reason, when the transform does not declare the features", async () => {
    const report = await runConformance({ mixup, ...residual }, { backends: ["cpu"], checks: ["mask-kept-area", "cut-point"] });
    expect(report.results.map((r) => [r.check, r.status, r.message])).toEqual([
      ["mask-kept-area", "skip", "the transform is not declared to take masks (supports.masks)"],
      ["cut-point", "skip", "the transform is not declared to mix at cuts (supports.cutPoints)"],
    ]);
    expect(report.passed).toBe(false);
  });

  it("mixing the tag alone inside a residual block fails cut-point there (the skip path is left unmixed)", async () => {
    const tagOnly: MixupTransform = (layer, how) => mixup(layer, how, { at: "tag" });
    tagOnly.boundaries = mixup.boundaries;
    const report = await runConformance({ mixup: tagOnly, ...residual, supports: { cutPoints: true } }, { backends: ["cpu"], checks: ["cut-point"] });
    expect(report.results.map((r) => [r.layer, r.status])).toEqual([["0 input", "pass"], ["1 stem", "pass"], ["2 block.inner", "fail"]]);
    expect(report.results[2]!.message).toMatch(/^at λ = 0 the output mixed at the cut is not the clean output permuted by perm \(a value crossing the cut was not mixed\): index \d+/);
  });

  it("targets weighted by anything but the kept area fail mask-kept-area", async () => {
    const halfWeighted: MixupTransform = (layer, how, opts) => (f) => (params, x, y, perm) => {
      const r = mixup(layer, how, opts)(f)(params, x, y, perm);
      return { out: r.out, targets: mixup(0, 0.5)((_: unknown, h: Array) => h)(null, np.oneHot(y, r.out.shape.at(-1)!), y, perm).targets };
    };
    halfWeighted.boundaries = mixup.boundaries;
    const report = await runConformance({ mixup: halfWeighted, ...subject(nn.mlp([6, 8, 4]), [6], 5, 4), supports: { masks: true } }, { backends: ["cpu"], checks: ["mask-kept-area"] });
    expect(report.results.every((r) => r.status === "fail")).toBe(true);
    expect(report.results[0]!.message).toMatch(/^targets are not weighted by the kept area \(example 0 keeps 0\.5000 of its values\)/);
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

  it("λ[B] collapsed to its mean (one λ for the batch) fails per-example-lambda only", async () => {
    const collapsed: MixupTransform = (layer, how, opts) => mixup(layer, how instanceof Array && how.ndim === 1 ? np.mean(how) : how, opts);
    collapsed.boundaries = mixup.boundaries;
    const report = await runConformance({ mixup: collapsed, ...subject(nn.mlp([6, 8, 4]), [6], 4, 4) }, { backends: ["cpu"] });
    const failed = new Set(report.results.filter((r) => r.status === "fail").map((r) => r.check));
    expect(failed).toEqual(new Set(["per-example-lambda"]));
    expect(report.results.find((r) => r.status === "fail")!.message).toMatch(/^output row 0 with λ\[B\] differs from the scalar λ = 0\.0732 path: /);
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

import { describe, expect, it } from "vitest";
import { Array, dispose, np } from "@mmx/core";
import * as nn from "@mmx/nn";
import { key } from "@mmx/random";
import { inputFor } from "../models.js";
import { CONFORMANCE_CHECKS } from "./checks.js";
import { formatConformance, runConformance } from "./run.js";
import type { MixupTransform } from "./types.js";

/**
 * The suite's own tests, with a transform written here (input mixup: it mixes x and the labels, layer 0 only), so
 * that this package needs no mixup implementation; @mmx/mixup's tests run the suite on mmx's transform.
 */
const lerp = (a: Array, b: Array, lambda: number | Array) => {
  const lam = typeof lambda === "number" || lambda.ndim === 0 ? lambda : np.reshape(lambda, [lambda.shape[0]!, ...a.shape.slice(1).map(() => 1)]);
  return np.add(np.mul(a, lam), np.mul(b, np.sub(1, lam)));
};

const inputMixup = (consume = false): MixupTransform => (layer, how) => (f) => (params, x, y, perm) => {
  if (layer !== 0) throw new RangeError(`this transform mixes at the input only, not at ${layer}`);
  if (!(typeof how === "number" || how instanceof Array)) throw new TypeError("this transform takes λ only");
  const lambda = how;
  const out = f(params, lerp(x, np.take(x, perm, 0), lambda));
  const onehot = np.oneHot(y, 3);
  const targets = lerp(onehot, np.take(onehot, perm, 0), lambda);
  if (consume) dispose(x);
  return { out: out instanceof Array ? out : out.out, targets };
};

const model = nn.mlp([4, 6, 3]);
const subject = () => ({
  model: (p: nn.ParamTree, x: Array) => model.apply(p, x).out,
  params: model.init(key(1), [5, 4]).params,
  x: inputFor([5, 4], 2),
  y: np.array([0, 1, 2, 2, 1], { dtype: "int32" }),
  layers: [0],
});

describe("runConformance", () => {
  it("a correct input mixup passes every check, on each backend given", async () => {
    const report = await runConformance({ mixup: inputMixup(), ...subject() }, { backends: ["cpu"] });
    // The mask and cut-point checks are skipped: this transform declares neither feature.
    expect(report.results.map((r) => [r.check, r.backend, r.layer, r.status])).toEqual(
      CONFORMANCE_CHECKS.map((c) => (["mask-kept-area", "cut-point"].includes(c.name) ? [c.name, "cpu", "", "skip"] : [c.name, "cpu", "0", "pass"])),
    );
    expect(report.passed).toBe(true);
    expect(formatConformance(report).split("\n")[0]).toBe("PASS  same-permutation      cpu     0");
  });

  it("a transform that frees its input fails no-in-place-reuse, naming why", async () => {
    const report = await runConformance({ mixup: inputMixup(true), ...subject() }, { backends: ["cpu"], checks: ["no-in-place-reuse"] });
    expect(report.passed).toBe(false);
    expect(report.results[0]!.message).toMatch(/^an input could not be read after the call \(the call consumed it\): /);
  });

  it("a transform that throws fails with its error's first line", async () => {
    const report = await runConformance({ mixup: inputMixup(), ...subject(), layers: [1] }, { backends: ["cpu"], checks: ["lambda-one-identity"] });
    expect(report.results).toEqual([{ check: "lambda-one-identity", backend: "cpu", layer: "1", status: "fail", message: "RangeError: this transform mixes at the input only, not at 1" }]);
  });

  it("names an unknown check and a transform without a boundary listing", async () => {
    await expect(runConformance({ mixup: inputMixup(), ...subject() }, { checks: ["lambda-two"] })).rejects.toThrow(/^runConformance: unknown check 'lambda-two'; the checks are same-permutation, /);
    await expect(runConformance({ mixup: inputMixup(), ...subject(), layers: undefined })).rejects.toThrow(/^runConformance: the transform has no `boundaries` listing; pass `layers`$/);
  });
});

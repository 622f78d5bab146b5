/**
 * Parameter counts and shapes against PyTorch. The numbers come from
 * packages/nn/src/fixtures/param-counts.json, generated once with Debian's python3-torch (1.13) by
 * packages/nn/scripts/param_counts.py (regenerate: /usr/bin/python3 packages/nn/scripts/param_counts.py).
 * Shapes are compared through `spec` (shape arithmetic only, nothing allocated); WRN-28-10's 36M
 * parameters are created once, in one test (about 2 s here); preact-resnet.test.ts initialises
 * PreActResNet18 for real.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { np, tidy } from "@mmx/core";
import { key } from "@mmx/random";
import { boundaries, countParams, mlp, preActResNet18, preActResNet34, shapesByPath, smallCnn, spiralNet, wideResNet, type Model, type ParamTree } from "./index.js";
import { torchBoundaryShape, torchLayout, torchNames } from "./testing-only/torch-names.js";

interface FixtureModel {
  trainable_params: number;
  num_param_tensors: number;
  params: Record<string, number[]>;
  batchnorm: { layers: number; running_stat_elements: number; running_stats: Record<string, number[]>; momenta: number[] };
  input_shape: number[];
  output_shape: number[];
  boundary_shapes: number[][];
}
const fixture = JSON.parse(readFileSync(new URL("./fixtures/param-counts.json", import.meta.url), "utf8")) as { models: Record<string, FixtureModel> };

const cases: [string, () => Model, string][] = [
  ["mlp", () => mlp([784, 512, 512, 10]), "mlp"],
  ["small_cnn", () => smallCnn(), "small_cnn"],
  ["spiral_net", () => spiralNet({ classes: 2 }), "spiral_net"],
  ["preactresnet18", () => preActResNet18(10), "preactresnet"],
  ["preactresnet34", () => preActResNet34(10), "preactresnet"],
  ["preactresnet18_final_bn", () => preActResNet18(10, { finalBatchNorm: true }), "preactresnet"],
  ["preactresnet34_final_bn", () => preActResNet34(10, { finalBatchNorm: true }), "preactresnet"],
  ["wrn28_10", () => wideResNet(28, 10, { numClasses: 10 }), "wrn"],
];

/** The boundaries whose per-example shapes the fixture lists, in its order. */
const fixtureBoundaries: Record<string, string[]> = {
  mlp: ["input", "hidden1", "hidden2"],
  small_cnn: ["input", "block1", "block2"],
  spiral_net: ["input", "hidden1", "hidden2", "bottleneck", "hidden3", "hidden4"],
  preactresnet: ["input", "layer1", "layer2", "layer3"],
  wrn: ["input", "layer1", "layer2", "layer3"],
};

const torchInput = (shape: readonly number[]) => (shape.length === 3 ? [-1, shape[1]!, shape[2]!, shape[0]!] : [-1, ...shape]);

describe.each(cases)("%s against PyTorch", (name, make, naming) => {
  const ref = fixture.models[name]!;
  const model = make();
  const spec = model.spec(torchInput(ref.input_shape));

  it("has PyTorch's trainable parameter count and number of tensors", () => {
    expect(countParams(spec.params)).toBe(ref.trainable_params);
    expect(Object.keys(shapesByPath(spec.params))).toHaveLength(ref.num_param_tensors);
  });

  it("has every parameter under PyTorch's name with PyTorch's shape (after the layout change)", () => {
    const ours = Object.fromEntries(Object.entries(shapesByPath(spec.params)).map(([p, s]) => [torchNames[naming]!(p), torchLayout(s)]));
    expect(ours).toEqual(ref.params);
  });

  it("has PyTorch's batch-norm running statistics", () => {
    const ours = Object.fromEntries(Object.entries(shapesByPath(spec.state)).map(([p, s]) => [torchNames[naming]!(p), s]));
    expect(ours).toEqual(ref.batchnorm.running_stats);
    expect(countParams(spec.state)).toBe(ref.batchnorm.running_stat_elements);
  });

  it("has PyTorch's output shape and boundary shapes", () => {
    expect(spec.outputShape).toEqual([-1, ...ref.output_shape]);
    const found = boundaries(model, null, model.inputShape);
    const shapes = fixtureBoundaries[naming]!.map((n) => found.find((b) => b.name === n)!.shape);
    expect(shapes.map(torchBoundaryShape)).toEqual(ref.boundary_shapes);
  });

  it("states its mixing layers as indices of its traced boundaries, and its static boundary names are the traced ones", () => {
    const found = boundaries(model, null, model.inputShape);
    expect(found.map((b) => b.name)).toEqual(["input", ...model.boundaryNames]);
    expect(found.map((b) => b.index)).toEqual(found.map((_, i) => i));
    expect(model.paperBoundaries.map((k) => found[k]!.name)).toEqual(model.paperBoundaryNames);
  });
});

describe("model boundaries", () => {
  it("mlp: the hidden blocks are boundaries 1 and 2, after their ReLUs", () => {
    const m = mlp([4, 8, 8, 3]);
    expect(boundaries(m, null, [5, 4])).toEqual([
      { index: 0, name: "input", shape: [5, 4] },
      { index: 1, name: "hidden1", shape: [5, 8] },
      { index: 2, name: "hidden2", shape: [5, 8] },
      { index: 3, name: "out", shape: [5, 3] },
    ]);
    expect(m.paperBoundaries).toEqual([0, 1, 2]);
    // After the ReLU: no boundary value is negative.
    tidy(() => {
      const { params } = m.init(key(3), [-1, 4]);
      const x = np.array([[-3, 2, -1, 4], [1, -2, 3, -4]]);
      const [h1] = capture(m, params, x, "hidden1");
      expect(Math.min(...h1!)).toBeGreaterThanOrEqual(0);
    });
  });

  it("PreActResNet18 and WRN-28-10 mix at input, layer1, layer2 (the official k in {0, 1, 2})", () => {
    expect(preActResNet18().paperBoundaryNames).toEqual(["input", "layer1", "layer2"]);
    expect(preActResNet18().paperBoundaries).toEqual([0, 4, 7]);
    expect(wideResNet(28, 10).paperBoundaries).toEqual([0, 6, 11]);
    expect(smallCnn().paperBoundaries).toEqual([0, 1, 2]);
    expect(spiralNet().paperBoundaryNames).toEqual(["input", "hidden1", "hidden2", "bottleneck"]);
    // The deprecated names are the same lists.
    expect(preActResNet18().mixupLayers).toEqual([0, 4, 7]);
    expect(preActResNet18().mixupLayerNames).toEqual(["input", "layer1", "layer2"]);
  });

  it("boundaries accept real params and an example array, and report its batch", () => {
    tidy(() => {
      const m = smallCnn();
      const { params } = m.init(key(0), [-1, 28, 28, 1]);
      const b = boundaries(m, params, np.zeros([3, 28, 28, 1]));
      expect(b.map((x) => x.shape)).toEqual([
        [3, 28, 28, 1],
        [3, 14, 14, 32],
        [3, 7, 7, 64],
        [3, 128],
        [3, 10],
      ]);
    });
  });

  it("the layer path is the namedScope of every equation a layer binds", async () => {
    const { makeJaxpr, ShapedArray } = await import("@mmx/core");
    const m = preActResNet18(10, { initialChannels: 4 });
    const { abstractOf } = await import("./spec.js");
    const s = m.spec([2, 32, 32, 3]);
    const closed = makeJaxpr((p: ParamTree, st: unknown, x: any) => m.apply(p, x, { state: st }).out)(abstractOf(s.params), abstractOf(s.state), new ShapedArray([2, 32, 32, 3], "float32"));
    const convScopes = closed.jaxpr.eqns.filter((e) => e.primitive === "conv").map((e) => e.scope);
    expect(convScopes.slice(0, 4)).toEqual(["conv1", "layer1.0.conv1", "layer1.0.conv2", "layer1.1.conv1"]);
    expect(convScopes).toContain("layer2.0.shortcut");
  });
});

describe("WRN-28-10, initialised once for real", () => {
  it("has 36,489,290 parameters and its conv weights lie within PyTorch's bound", () => {
    const t = performance.now();
    tidy(() => {
      const { params, state } = wideResNet(28, 10).init(key(0), [-1, 32, 32, 3]);
      expect(countParams(params)).toBe(fixture.models.wrn28_10!.trainable_params);
      expect(countParams(state)).toBe(fixture.models.wrn28_10!.batchnorm.running_stat_elements);
      const w = (params as any).layer3["3"].conv2.weight.dataSync() as Float32Array;
      const bound = 1 / Math.sqrt(640 * 9);
      let max = 0;
      for (const v of w) max = Math.max(max, Math.abs(v));
      expect(max).toBeLessThanOrEqual(bound);
      expect(max).toBeGreaterThan(0.99 * bound);
    });
    console.log(`WRN-28-10 init: ${(performance.now() - t).toFixed(0)} ms`);
  });
});

/** The values at top-level boundaries, by applying the slice of the model that ends there. */
function capture(m: Model, params: unknown, x: any, ...names: string[]): Float32Array[] {
  return names.map((n) => {
    const upto = m.slice(0, m.names.indexOf(n) + 1);
    return upto.apply(upto.pick(params), x).out.dataSync() as Float32Array;
  });
}

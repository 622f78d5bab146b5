/**
 * Bad input is a clear error that names the culprit: the layer path with the expected and the actual
 * shape for an input that does not fit, the first differing path for a params tree that does not
 * match the model, and the option for a bad constructor argument.
 */
import { describe, expect, it } from "vitest";
import { jit, np, ShapeError, tidy, type Array } from "@mmx/core";
import { key } from "@mmx/random";
import {
  batchNorm,
  block,
  conv2d,
  defineCompound,
  dense,
  layerNorm,
  LayerShapeError,
  maxPool,
  mlp,
  ParamsMismatchError,
  preActResNet18,
  relu,
  residual,
  sequential,
  smallCnn,
  wideResNet,
  type ParamTree,
} from "./index.js";

/** The error `fn` throws (fails the test when it throws none). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error, none was thrown");
}

describe("an input that does not fit names the layer path, the expected and the actual shape", () => {
  it("a dense layer deep in an mlp", () => {
    tidy(() => {
      const model = sequential({ body: mlp([4, 8, 3]) });
      const { params } = model.init(key(0), [-1, 4]);
      const e = thrown(() => model.apply(params, np.ones([2, 5])));
      expect(e).toBeInstanceOf(LayerShapeError);
      expect(e.message).toBe('mlp layer "body": the input has shape [2,5], expected [N,4] (the model\'s declared input)');
      const inner = sequential({ block: block({ fc: dense(3) }) });
      const p2 = inner.init(key(0), [-1, 4]).params;
      const e2 = thrown(() => inner.apply(p2, np.ones([2, 6]))) as LayerShapeError;
      expect(e2.message).toBe('dense layer "block.fc": the input has shape [2,6], expected [...,4] (4 input features)');
      expect([e2.path, e2.expected, e2.actual]).toEqual(["block.fc", "[...,4]", [2, 6]]);
    });
  });

  it("a model's declared input, a conv's channels, a pool's rank, a spatial size too small", () => {
    tidy(() => {
      const cnn = smallCnn();
      expect(() => cnn.spec([2, 32, 32, 1])).toThrow('smallCnn layer: the input has shape [2,32,32,1], expected [N,28,28,1]');
      const convs = sequential({ a: conv2d(4, 3, { inChannels: 3 }), pool: maxPool(2), b: conv2d(2, 5) });
      expect(() => convs.init(key(0), [-1, 8, 8, 5])).toThrow('conv2d layer "a": the input has shape [-1,8,8,5], expected [N,H,W,3] (NHWC with 3 channels)');
      expect(() => convs.init(key(0), [-1, 8, 8])).toThrow('conv2d layer "a": the input has shape [-1,8,8], expected [N,H,W,3]');
      expect(() => convs.init(key(0), [-1, 8, 8, 3])).toThrow('conv2d layer "b": the input has shape [-1,3,3,4], expected [N,>=5,>=5,4] (too small for a 5x5 kernel)');
      expect(() => maxPool(2).spec([4, 2])).toThrow("maxPool layer: the input has shape [4,2], expected [N,H,W,C] (NHWC)");
      expect(() => layerNorm({ axes: 2 }).apply({ weight: np.ones([3, 4]), bias: np.zeros([3, 4]) }, np.ones([2, 3, 5]))).toThrow(
        "layerNorm layer: the input has shape [2,3,5], expected [...,3,4] (normalises the last 2 axes)",
      );
    });
  });

  it("a residual whose body changes the shape", () => {
    const res = sequential({ res: residual(dense(3)) });
    expect(() => res.init(key(0), [-1, 4])).toThrow('residual layer "res": the input has shape [-1,4], expected an input for which body and shortcut agree (the body gives [1,3], the identity shortcut [1,4])');
  });

  it("the same errors under jit, at trace time", () => {
    tidy(() => {
      const model = mlp([4, 3]);
      const { params } = model.init(key(0), [-1, 4]);
      const f = jit((p: ParamTree, x: Array) => model.apply(p, x).out);
      expect(() => f(params, np.ones([2, 6]))).toThrow("mlp layer: the input has shape [2,6], expected [N,4]");
    });
  });

  it("core's shape errors inside a layer name its path (namedScope)", () => {
    const broken = defineCompound({ kind: "broken", children: { fc: dense(3) }, boundaryNames: [], forward: (run, x) => np.add(run("fc", x), np.ones([7])) });
    const model = sequential({ stage: sequential({ blk: broken }) });
    const e = thrown(() => model.init(key(0), [-1, 4]));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toMatch(/in layer "stage\.blk"/);
  });

  it("a compound layer whose forward leaves a child unused", () => {
    const lazy = defineCompound({ kind: "lazy", children: { a: dense(2), b: dense(2) }, boundaryNames: [], forward: (run, x) => run("a", x) });
    expect(() => lazy.init(key(0), [-1, 3])).toThrow('lazy: forward never runs the child(ren) "b"; every child must be used');
  });

  it("an input that is not an array", () => {
    expect(() => relu.apply({}, [1, 2] as unknown as Array)).toThrow("relu layer: the input must be an mmx Array, got object");
  });
});

describe("a params or state tree that does not match names the first differing path", () => {
  const model = preActResNet18(10, { initialChannels: 4 });
  const shape = [-1, 32, 32, 3];

  it("a leaf of the wrong shape, a missing entry, an extra entry, a missing leaf", () => {
    tidy(() => {
      const { params, state } = model.init(key(0), shape);
      const x = np.zeros([1, 32, 32, 3]);
      const p = params as any;
      const wrongShape = { ...p, layer2: { ...p.layer2, 0: { ...p.layer2[0], conv1: { weight: np.zeros([3, 3, 4, 7]) } } } };
      const e = thrown(() => model.apply(wrongShape, x, { state })) as ParamsMismatchError;
      expect(e).toBeInstanceOf(ParamsMismatchError);
      expect(e.at).toBe("layer2.0.conv1.weight");
      expect(e.message).toBe('conv2d layer "layer2.0.conv1": the params tree does not match the model at layer2.0.conv1.weight: the model has f32[3,3,4,8], given f32[3,3,4,7]');

      const { layer3: _dropped, ...missing } = p;
      expect(() => model.apply(missing, x, { state })).toThrow('preActResNet18 layer: the params tree does not match the model at layer3: present in the model, missing from the given tree');
      expect(() => model.apply({ ...p, extra: np.zeros([1]) }, x, { state })).toThrow("the params tree does not match the model at extra: not in the model");
      const noBias = { ...p, head: { linear: { weight: p.head.linear.weight } } };
      expect(() => model.apply(noBias, x, { state })).toThrow('dense layer "head.linear": the params tree does not match the model at head.linear.bias: present vs missing (model vs given)');
      const { bn2: _bn2, ...noBn2 } = (state as any).layer1[1];
      expect(() => model.apply(params, x, { state: { ...(state as any), layer1: { ...(state as any).layer1, 1: noBn2 } } })).toThrow(
        'preActBlock layer "layer1.1": the state tree does not match the model at layer1.1.bn2: present in the model, missing from the given tree',
      );
      expect(() => model.apply(params, x)).toThrow("preActResNet18 layer: keeps running statistics (batch norm): pass opts.state");
    });
  });

  it("a params tree of another model", () => {
    tidy(() => {
      const other = mlp([3072, 10]).init(key(0), [-1, 3072]).params;
      expect(() => model.apply(other, np.zeros([1, 32, 32, 3]), { state: model.init(key(0), shape).state })).toThrow(/at conv1: present in the model, missing from the given tree/);
    });
  });
});

describe("bad constructor arguments are clear errors", () => {
  it.each([
    [() => dense(0), "dense: the output size must be a positive integer, got 0"],
    [() => dense(2.5, 3), "dense: the input size must be a positive integer, got 2.5"],
    [() => conv2d(0, 3), "conv2d: the number of output channels must be a positive integer, got 0"],
    [() => conv2d(4, [3, 0]), "conv2d kernel size must be a positive integer or a pair of them, got [3,0]"],
    [() => conv2d(4, 3, { stride: -1 }), "conv2d stride must be a positive integer or a pair of them, got -1"],
    [() => batchNorm({ momentum: 2 }), "batchNorm: momentum must lie in [0, 1], got 2"],
    [() => mlp([5]), "mlp: sizes must list at least an input and an output size (positive integers), got [5]"],
    [() => wideResNet(27, 10), "wideResNet: depth must be 6n + 4 with n >= 1 (10, 16, 22, 28, ...), got 27"],
    [() => preActResNet18(0), "preActResNet18: numClasses must be a positive integer, got 0"],
    [() => mlp([2, 3]).init(key(0), [2, -1]), "mlp.init: an input shape is a list of sizes with the batch first (which may be -1), got [2,-1]"],
    [() => conv2d(2, 3, { padding: -1 }).spec([1, 5, 5, 1]), "padding must be non-negative integers, got -1"],
  ] as const)("%#", (fn, message) => {
    expect(fn).toThrow(message);
  });
});

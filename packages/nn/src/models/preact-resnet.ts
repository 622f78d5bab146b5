import { np } from "@mmx/core";
import { block, sequential } from "../combinators/sequential.js";
import { defineCompound } from "../define.js";
import type { Layer } from "../layer.js";
import { relu, reluFn } from "../layers/activations.js";
import { batchNorm } from "../layers/batch-norm.js";
import { conv2d } from "../layers/conv2d.js";
import { dense } from "../layers/dense.js";
import { flatten } from "../layers/flatten.js";
import { avgPool } from "../layers/pool.js";
import { asModel, type Model } from "./model.js";

/**
 * The pre-activation basic block of the official preresnet.py: a = relu(bn1(x)); out =
 * conv2(relu(bn2(conv1(a)))) + shortcut, where the shortcut is a 1x1 conv (no bias) of `a` when the
 * stride or the width changes and the raw `x` otherwise. Convs have no bias. One unit: no inner tags.
 */
export function preActBlock(inChannels: number, outChannels: number, stride: number): Layer {
  const project = stride !== 1 || inChannels !== outChannels;
  const children: Record<string, Layer> = {
    bn1: batchNorm({ channels: inChannels }),
    conv1: conv2d(outChannels, 3, { stride, padding: 1, bias: false, inChannels }),
    bn2: batchNorm({ channels: outChannels }),
    conv2: conv2d(outChannels, 3, { padding: 1, bias: false, inChannels: outChannels }),
    ...(project ? { shortcut: conv2d(outChannels, 1, { stride, bias: false, inChannels }) } : {}),
  };
  return defineCompound({
    kind: "preActBlock",
    children,
    boundaryNames: [],
    forward(run, x) {
      const a = reluFn(run("bn1", x));
      const skip = project ? run("shortcut", a) : x;
      const h = run("conv2", reluFn(run("bn2", run("conv1", a))));
      return np.add(h, skip);
    },
  });
}

/** A stage: blocks "0", "1", ... (each tagged, as "layer2.0"), the first with the stage's stride. */
export function stage(makeBlock: (cin: number, cout: number, stride: number) => Layer, count: number, inChannels: number, outChannels: number, stride: number): Layer {
  return sequential(globalThis.Array.from({ length: count }, (_, j) => makeBlock(j === 0 ? inChannels : outChannels, outChannels, j === 0 ? stride : 1)));
}

export interface PreActResNetOptions {
  /** Width of the stem and the first stage (default 64); stages are 1x, 2x, 4x, 8x this. */
  initialChannels?: number;
  /**
   * Adds BatchNorm + ReLU before the pooling (He et al.'s pre-activation tail). Default false: the
   * official manifold_mixup preresnet.py has none.
   */
  finalBatchNorm?: boolean;
}

function preActResNet(kind: string, blocks: readonly number[], numClasses: number, opts: PreActResNetOptions): Model {
  const width = opts.initialChannels ?? 64;
  if (!(Number.isInteger(numClasses) && numClasses >= 1)) throw new RangeError(`${kind}: numClasses must be a positive integer, got ${numClasses}`);
  if (!(Number.isInteger(width) && width >= 1)) throw new RangeError(`${kind}: initialChannels must be a positive integer, got ${width}`);
  const inputShape = [-1, 32, 32, 3];
  const layers: Record<string, Layer> = { conv1: conv2d(width, 3, { padding: 1, bias: false, inChannels: 3 }) };
  let cin = width;
  blocks.forEach((n, i) => {
    const cout = width * 2 ** i;
    layers[`layer${i + 1}`] = stage(preActBlock, n, cin, cout, i === 0 ? 1 : 2);
    cin = cout;
  });
  layers.head = block({
    ...(opts.finalBatchNorm ? { bn: batchNorm({ channels: cin }), relu } : {}),
    pool: avgPool(4),
    flatten,
    linear: dense(numClasses),
  });
  return asModel(sequential(layers, { inputShape, kind }), inputShape, ["input", "layer1", "layer2"]);
}

/**
 * PreActResNet18 for 32x32x3 inputs as the official manifold_mixup code builds it: stem conv 3x3
 * (no bias, no BN), stages layer1..layer4 of [2, 2, 2, 2] pre-activation blocks, then head =
 * avg-pool 4 + flatten + linear. Boundaries: conv1, layer1.0, layer1.1, layer1, ..., layer4, head.
 * Mixing set: input, layer1, layer2 (the code's k in {0, 1, 2}).
 */
export const preActResNet18 = (numClasses = 10, opts: PreActResNetOptions = {}): Model => preActResNet("preActResNet18", [2, 2, 2, 2], numClasses, opts);

/** PreActResNet34: as preActResNet18 with [3, 4, 6, 3] blocks. */
export const preActResNet34 = (numClasses = 10, opts: PreActResNetOptions = {}): Model => preActResNet("preActResNet34", [3, 4, 6, 3], numClasses, opts);

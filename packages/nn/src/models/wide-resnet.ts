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
import { stage } from "./preact-resnet.js";

/**
 * The official wide_resnet.py block: h = conv1(relu(bn1(x))) (3x3, stride 1), h = conv2(relu(bn2(h)))
 * (3x3, the block's stride), plus a shortcut: a 1x1 conv of the raw x when the stride or the width
 * changes, x otherwise. Every conv has a bias; no dropout (the official file removed it).
 */
export function wideBasic(inChannels: number, outChannels: number, stride: number): Layer {
  const project = stride !== 1 || inChannels !== outChannels;
  const children: Record<string, Layer> = {
    bn1: batchNorm({ channels: inChannels }),
    conv1: conv2d(outChannels, 3, { padding: 1, inChannels }),
    bn2: batchNorm({ channels: outChannels }),
    conv2: conv2d(outChannels, 3, { stride, padding: 1, inChannels: outChannels }),
    ...(project ? { shortcut: conv2d(outChannels, 1, { stride, inChannels }) } : {}),
  };
  return defineCompound({
    kind: "wideBasic",
    children,
    boundaryNames: [],
    forward(run, x) {
      const h = run("conv1", reluFn(run("bn1", x)));
      const out = run("conv2", reluFn(run("bn2", h)));
      return np.add(out, project ? run("shortcut", x) : x);
    },
  });
}

/**
 * WRN-depth-k for 32x32x3 inputs as the official manifold_mixup code builds it: stem conv 3x3 16
 * (bias), three stages of n = (depth - 4) / 6 blocks of widths 16k, 32k, 64k (strides 1, 2, 2), then
 * head = BatchNorm (momentum 0.9, as the official file) + ReLU + avg-pool 8 + flatten + linear.
 * Mixing set: input, layer1, layer2.
 */
export function wideResNet(depth = 28, widenFactor = 10, opts: { numClasses?: number } = {}): Model {
  const numClasses = opts.numClasses ?? 10;
  if (!(Number.isInteger(depth) && depth >= 10 && (depth - 4) % 6 === 0)) throw new RangeError(`wideResNet: depth must be 6n + 4 with n >= 1 (10, 16, 22, 28, ...), got ${depth}`);
  if (!(Number.isInteger(widenFactor) && widenFactor >= 1)) throw new RangeError(`wideResNet: the widen factor must be a positive integer, got ${widenFactor}`);
  if (!(Number.isInteger(numClasses) && numClasses >= 1)) throw new RangeError(`wideResNet: numClasses must be a positive integer, got ${numClasses}`);
  const n = (depth - 4) / 6;
  const widths = [16, 16 * widenFactor, 32 * widenFactor, 64 * widenFactor];
  const inputShape = [-1, 32, 32, 3];
  const layers: Record<string, Layer> = { conv1: conv2d(widths[0]!, 3, { padding: 1, inChannels: 3 }) };
  for (let i = 0; i < 3; i++) layers[`layer${i + 1}`] = stage(wideBasic, n, widths[i]!, widths[i + 1]!, i === 0 ? 1 : 2);
  layers.head = block({ bn: batchNorm({ channels: widths[3]!, momentum: 0.9 }), relu, pool: avgPool(8), flatten, linear: dense(numClasses) });
  return asModel(sequential(layers, { inputShape, kind: `wideResNet${depth}_${widenFactor}` }), inputShape, ["input", "layer1", "layer2"]);
}

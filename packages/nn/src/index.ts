/**
 * @mmx/nn: layers as pure functions. A layer is plain data, `{ spec, init, apply }`; params and
 * batch-norm state are plain trees of arrays that the caller threads through `apply`. Every child
 * of a `sequential` is a `tag`ged boundary named by its path, which transforms acting at a boundary
 * find in the traced program (core's `boundariesOf`); the models state the boundaries of the paper's
 * experiments (`paperBoundaries`).
 */
export type { Applied, ApplyOptions, Initialized, Layer, LayerSpec, ParamList, ParamRecord, ParamTree, Shape, Tree } from "./layer.js";
export { ParamSpec, countParams, shapesByPath, materialize, abstractOf, type Initializer, type SpecTree } from "./spec.js";
export { torchUniform, constant } from "./initializers.js";
export { LayerShapeError, ParamsMismatchError, LayerOptionError } from "./errors.js";
export { defineLeaf, defineCompound, named, type LeafDefinition, type CompoundDefinition, type ForwardContext, type RunChild } from "./define.js";

export { dense, type DenseOptions } from "./layers/dense.js";
export { conv2d, type Conv2dOptions } from "./layers/conv2d.js";
export type { Padding } from "./layers/spatial.js";
export { batchNorm, type BatchNormOptions, type BatchNormParams, type BatchNormState } from "./layers/batch-norm.js";
export { layerNorm, type LayerNormOptions } from "./layers/layer-norm.js";
export { dropout } from "./layers/dropout.js";
export { relu, leakyRelu, gelu, tanh } from "./layers/activations.js";
export { flatten } from "./layers/flatten.js";
export { avgPool, maxPool, globalAvgPool, type PoolOptions } from "./layers/pool.js";

export { sequential, block, type Sequential, type SequentialOptions } from "./combinators/sequential.js";
export { residual } from "./combinators/residual.js";

export { boundaries, boundaryIndices, type Boundary } from "./boundaries.js";

export type { Model } from "./models/model.js";
export { mlp } from "./models/mlp.js";
export { smallCnn } from "./models/small-cnn.js";
export { spiralNet } from "./models/spiral-net.js";
export { preActResNet18, preActResNet34, preActBlock, type PreActResNetOptions } from "./models/preact-resnet.js";
export { wideResNet, wideBasic } from "./models/wide-resnet.js";

import * as tf from "@tensorflow/tfjs";
import { hostBatch, LR, MOMENTUM, type Workload } from "./workloads.js";

/**
 * The peer a tfjs user writes by hand: the workload's model as tf.Variables, its loss under
 * `tf.variableGrads`, and `tf.train.momentum(lr, 0.9, useNesterov)` (PyTorch's Nesterov update).
 * The loss is BCE on softmax with PyTorch's log clamp at -100, as the official code trains.
 */

/** PyTorch's default init: uniform in ±1/sqrt(fanIn), from a fixed host generator. */
function uniformInit(seed: number) {
  let s = seed >>> 0;
  return (shape: number[], fanIn: number, trainable = true) => {
    const bound = 1 / Math.sqrt(fanIn);
    const size = shape.reduce((a, b) => a * b, 1);
    const values = Float32Array.from({ length: size }, () => (((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1) * bound);
    return tf.variable(tf.tensor(values, shape), trainable);
  };
}

export function bceOnSoftmax(logits: tf.Tensor, targets: tf.Tensor): tf.Scalar {
  const logP = tf.logSoftmax(logits);
  const logNotP = tf.log1p(tf.neg(tf.exp(logP)));
  const floor = -100;
  const per = tf.add(tf.mul(targets, tf.maximum(logP, floor)), tf.mul(tf.sub(1, targets), tf.maximum(logNotP, floor)));
  return tf.neg(tf.mean(per)) as tf.Scalar;
}

type Forward = (x: tf.Tensor) => tf.Tensor;

function mlpModel(init: ReturnType<typeof uniformInit>): Forward {
  const sizes = [784, 512, 512, 10];
  const layers = sizes.slice(1).map((out, i) => ({ w: init([sizes[i]!, out], sizes[i]!), b: init([out], sizes[i]!) }));
  return (x) => {
    let h = x;
    layers.forEach((l, i) => {
      h = tf.add(tf.matMul(h, l.w), l.b);
      if (i < layers.length - 1) h = tf.relu(h);
    });
    return h;
  };
}

function cnnModel(init: ReturnType<typeof uniformInit>): Forward {
  const c1 = { w: init([3, 3, 1, 32], 9), b: init([32], 9) };
  const c2 = { w: init([3, 3, 32, 64], 288), b: init([64], 288) };
  const d1 = { w: init([3136, 128], 3136), b: init([128], 3136) };
  const d2 = { w: init([128, 10], 128), b: init([10], 128) };
  const block = (x: tf.Tensor, c: { w: tf.Variable; b: tf.Variable }) =>
    tf.maxPool(tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, c.w as tf.Tensor4D, 1, "same"), c.b)) as tf.Tensor4D, 2, 2, "valid");
  return (x) => {
    const h = block(block(x, c1), c2);
    const hidden = tf.relu(tf.add(tf.matMul(tf.reshape(h, [h.shape[0]!, 3136]), d1.w), d1.b));
    return tf.add(tf.matMul(hidden, d2.w), d2.b);
  };
}

/** PreActResNet18 as the official preresnet.py: train-mode batch norm updating running statistics. */
function preact18Model(init: ReturnType<typeof uniformInit>): { forward: Forward; updateStats: () => void } {
  const pending: (() => void)[] = [];
  const bn = (c: number) => {
    const gamma = tf.variable(tf.ones([c]));
    const beta = tf.variable(tf.zeros([c]));
    const runMean = tf.variable(tf.zeros([c]), false);
    const runVar = tf.variable(tf.ones([c]), false);
    return (x: tf.Tensor) => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      const n = x.size / c;
      const batchMean = tf.keep(tf.clone(mean));
      const batchVar = tf.keep(tf.mul(variance, n / (n - 1)));
      pending.push(() => {
        runMean.assign(tf.add(tf.mul(runMean, 0.9), tf.mul(batchMean, 0.1)));
        runVar.assign(tf.add(tf.mul(runVar, 0.9), tf.mul(batchVar, 0.1)));
        tf.dispose([batchMean, batchVar]);
      });
      return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), gamma), beta);
    };
  };
  const conv = (cin: number, cout: number, k: number, stride: number) => {
    const w = init([k, k, cin, cout], cin * k * k);
    const pad = k === 3 ? 1 : 0;
    return (x: tf.Tensor): tf.Tensor => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, [[0, 0], [pad, pad], [pad, pad], [0, 0]] as never);
  };
  const block = (cin: number, cout: number, stride: number) => {
    const bn1 = bn(cin);
    const conv1 = conv(cin, cout, 3, stride);
    const bn2 = bn(cout);
    const conv2 = conv(cout, cout, 3, 1);
    const proj = stride !== 1 || cin !== cout ? conv(cin, cout, 1, stride) : null;
    return (x: tf.Tensor) => {
      const a = tf.relu(bn1(x));
      const skip = proj ? proj(a) : x;
      return tf.add(conv2(tf.relu(bn2(conv1(a)))), skip);
    };
  };
  const stem = conv(3, 64, 3, 1);
  const blocks: ((x: tf.Tensor) => tf.Tensor)[] = [];
  let cin = 64;
  [64, 128, 256, 512].forEach((cout, i) => {
    blocks.push(block(cin, cout, i === 0 ? 1 : 2), block(cout, cout, 1));
    cin = cout;
  });
  const head = { w: init([512, 10], 512), b: init([10], 512) };
  return {
    forward: (x) => {
      let h = stem(x);
      for (const b of blocks) h = b(h);
      const pooled = tf.reshape(tf.avgPool(h as tf.Tensor4D, 4, 4, "valid"), [h.shape[0]!, 512]);
      return tf.add(tf.matMul(pooled, head.w), head.b);
    },
    updateStats: () => {
      for (const f of pending.splice(0)) f();
    },
  };
}

/** One hand-written tfjs training step of the workload; each call resolves once its loss is read. */
export function tfjsEagerStep(w: Workload) {
  const init = uniformInit(7);
  const model = w.name === "mlp" ? { forward: mlpModel(init), updateStats: () => {} } : w.name === "cnn" ? { forward: cnnModel(init), updateStats: () => {} } : preact18Model(init);
  const data = hostBatch(w);
  const x = tf.tensor(data.x, data.shape);
  const y = tf.oneHot(tf.tensor1d(data.labels, "int32"), w.classes).toFloat();
  const optimizer = tf.train.momentum(LR, MOMENTUM, true);
  return {
    async run(): Promise<number> {
      const { value, grads } = tf.variableGrads(() => tf.tidy(() => bceOnSoftmax(model.forward(x), y)));
      // Momentum's override narrows the argument to variables; the base class takes the gradient map.
      (optimizer as tf.Optimizer).applyGradients(grads);
      tf.tidy(model.updateStats);
      const loss = (await value.data())[0]!;
      value.dispose();
      tf.dispose(grads);
      return loss;
    },
    dispose() {
      optimizer.dispose();
      tf.disposeVariables();
      tf.dispose([x, y]);
    },
  };
}

import * as tf from "@tensorflow/tfjs";
import { hostBatch, LR, MOMENTUM, type Workload } from "./workloads.js";

/**
 * The peer a Keras-minded tfjs user writes: the workload's model with tfjs-layers, a softmax head and
 * `binaryCrossentropy` (BCE on softmax, as the official code trains), SGD with Nesterov momentum,
 * one `trainOnBatch` per step.
 */
function mlp(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [784], units: 512, activation: "relu" }),
      tf.layers.dense({ units: 512, activation: "relu" }),
      tf.layers.dense({ units: 10, activation: "softmax" }),
    ],
  });
}

function cnn(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, padding: "same", activation: "relu" }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, padding: "same", activation: "relu" }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128, activation: "relu" }),
      tf.layers.dense({ units: 10, activation: "softmax" }),
    ],
  });
}

/** PreActResNet18 (official preresnet.py layout) with the functional API. */
function preact18(): tf.LayersModel {
  // tfjs's momentum is the running statistics' keep rate: 0.9 is PyTorch's momentum 0.1.
  const bn = () => tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 });
  const relu = () => tf.layers.activation({ activation: "relu" });
  const conv = (filters: number, k: number, strides: number) => tf.layers.conv2d({ filters, kernelSize: k, strides, padding: "same", useBias: false });
  const block = (x: tf.SymbolicTensor, cin: number, cout: number, stride: number) => {
    const a = relu().apply(bn().apply(x)) as tf.SymbolicTensor;
    const skip = stride !== 1 || cin !== cout ? (conv(cout, 1, stride).apply(a) as tf.SymbolicTensor) : x;
    const h = conv(cout, 3, 1).apply(relu().apply(bn().apply(conv(cout, 3, stride).apply(a)))) as tf.SymbolicTensor;
    return tf.layers.add().apply([h, skip]) as tf.SymbolicTensor;
  };
  const input = tf.input({ shape: [32, 32, 3] });
  let h = conv(64, 3, 1).apply(input) as tf.SymbolicTensor;
  let cin = 64;
  [64, 128, 256, 512].forEach((cout, i) => {
    h = block(block(h, cin, cout, i === 0 ? 1 : 2), cout, cout, 1);
    cin = cout;
  });
  const pooled = tf.layers.flatten().apply(tf.layers.averagePooling2d({ poolSize: 4 }).apply(h)) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 10, activation: "softmax" }).apply(pooled) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

export function tfjsLayersStep(w: Workload) {
  const model = w.name === "mlp" ? mlp() : w.name === "cnn" ? cnn() : preact18();
  model.compile({ optimizer: tf.train.momentum(LR, MOMENTUM, true), loss: "binaryCrossentropy" });
  const data = hostBatch(w);
  const x = tf.tensor(data.x, data.shape);
  const y = tf.oneHot(tf.tensor1d(data.labels, "int32"), w.classes).toFloat();
  return {
    async run(): Promise<number> {
      const loss = await model.trainOnBatch(x, y);
      return typeof loss === "number" ? loss : loss[0]!;
    },
    dispose() {
      model.optimizer.dispose();
      model.dispose();
      tf.dispose([x, y]);
    },
  };
}

import * as nn from "@mmx/nn";

/**
 * The three workloads of the benchmark: the same models and batches in every implementation (mmx,
 * hand-written tfjs, tfjs-layers, PyTorch), each timed as one full SGD step (forward, backward,
 * update) with the official code's loss (BCE on softmax) and SGD(lr 0.1, momentum 0.9, Nesterov).
 */
export type WorkloadName = "mlp" | "cnn" | "preact18";

export interface Workload {
  readonly name: WorkloadName;
  readonly title: string;
  readonly batch: number;
  /** One example, NHWC for images. */
  readonly exampleShape: readonly number[];
  readonly classes: number;
  /** Timed steps and untimed warm-up steps per measurement (`cpuSteps` on the slow cpu backend). */
  readonly steps: number;
  readonly cpuSteps?: number;
  readonly warmup: number;
  /** Steps of the leak check (tensor count before and after). */
  readonly leakSteps: number;
  /** Whether tfjs's plain-JavaScript cpu backend is fast enough to run it in the default time. */
  readonly onCpu: boolean;
  readonly model: () => nn.Model;
}

export const WORKLOADS: Readonly<Record<WorkloadName, Workload>> = {
  mlp: {
    name: "mlp",
    title: "mlp 784-512-512-10, b128",
    batch: 128,
    exampleShape: [784],
    classes: 10,
    steps: 60,
    cpuSteps: 30,
    warmup: 5,
    leakSteps: 1000,
    onCpu: true,
    model: () => nn.mlp([784, 512, 512, 10]),
  },
  cnn: {
    name: "cnn",
    title: "smallCnn 28x28x1, b128",
    batch: 128,
    exampleShape: [28, 28, 1],
    classes: 10,
    steps: 30,
    warmup: 3,
    leakSteps: 100,
    onCpu: false,
    model: () => nn.smallCnn({ classes: 10 }),
  },
  preact18: {
    name: "preact18",
    title: "PreActResNet18 32x32x3, b32",
    batch: 32,
    exampleShape: [32, 32, 3],
    classes: 10,
    steps: 5,
    warmup: 1,
    leakSteps: 0, // its timed steps are the leak check
    onCpu: false,
    model: () => nn.preActResNet18(10),
  },
};

export const WORKLOAD_NAMES = Object.keys(WORKLOADS) as WorkloadName[];

/** Deterministic host data: inputs uniform in [-1, 1), labels cycling over the classes. */
export function hostBatch(w: Workload, seed = 1): { x: Float32Array; labels: Int32Array; shape: number[] } {
  let s = seed >>> 0;
  const shape = [w.batch, ...w.exampleShape];
  const size = shape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: size }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1);
  const labels = Int32Array.from({ length: w.batch }, (_, i) => (i * 7) % w.classes);
  return { x, labels, shape };
}

/** The optimiser and loss settings every implementation uses (PyTorch's pytorch_bench.py too). */
export const LR = 0.1;
export const MOMENTUM = 0.9;
export const MIXUP_ALPHA = 2;

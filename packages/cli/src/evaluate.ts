import { Array, dispose, jit, np, type PyTree } from "@mmx/core";
import { batches, type BatchSource } from "@mmx/data";
import { metricsAccumulator, type MetricsResult } from "@mmx/metrics";
import type * as nn from "@mmx/nn";
import { key } from "@mmx/random";
import { reshapeBatch } from "./datasets.js";

/** A trained model's forward pass in evaluation mode: logits of (params, state, x), jitted once per model. */
const forwards = new WeakMap<nn.Model, (params: PyTree, state: PyTree, x: Array) => Array>();

export function evalForward(model: nn.Model): (params: PyTree, state: PyTree, x: Array) => Array {
  let f = forwards.get(model);
  if (!f) {
    f = jit((params: PyTree, state: PyTree, x: Array) => model.apply(params as nn.ParamTree, x, { train: false, state }).out) as (params: PyTree, state: PyTree, x: Array) => Array;
    forwards.set(model, f);
  }
  return f;
}

/** Error, NLL and ECE (15 bins) of the model over a dataset, batch by batch. */
export function evaluate(model: nn.Model, params: PyTree, state: PyTree, source: BatchSource, input: readonly number[], batchSize = 500): MetricsResult {
  const forward = evalForward(model);
  const acc = metricsAccumulator();
  for (const b of batches(source, { batchSize, shuffle: false, transform: (x) => reshapeBatch(x, input), key: key(0) /* unused: no shuffle, and the transform only reshapes */ })) {
    const logits = forward(params, state, b.x);
    try {
      acc.add(logits, b.y);
    } finally {
      dispose([logits, b.x, b.y]);
    }
  }
  return acc.result();
}

/** The model's logits [N, C] over a dataset and its labels, gathered on the host (to fit or apply a temperature). */
export function collectLogits(model: nn.Model, params: PyTree, state: PyTree, source: BatchSource, input: readonly number[], batchSize = 500): { logits: Array; labels: Int32Array } {
  const forward = evalForward(model);
  const parts: Float32Array[] = [];
  const labels: number[] = [];
  let classes = 0;
  for (const b of batches(source, { batchSize, shuffle: false, transform: (x) => reshapeBatch(x, input), key: key(0) /* unused: no shuffle */ })) {
    const logits = forward(params, state, b.x);
    try {
      classes = logits.shape[1]!;
      parts.push(Float32Array.from(logits.dataSync()));
      labels.push(...b.y.dataSync());
    } finally {
      dispose([logits, b.x, b.y]);
    }
  }
  const all = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return { logits: np.array(all, { shape: [labels.length, classes] }), labels: Int32Array.from(labels) };
}

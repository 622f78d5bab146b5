import { boundaryIndices } from "../boundaries.js";
import type { Sequential } from "../combinators/sequential.js";
import type { Shape } from "../layer.js";

/** A ready-made network: a sequential with its input shape and the boundaries the paper mixes at. */
export interface Model extends Sequential {
  /** The input it is built for, batch first (-1). */
  readonly inputShape: Shape;
  /** The mixing set S as boundary indices for `mixup(k)`: 0 is the input, i >= 1 the i-th tag. */
  readonly mixupLayers: readonly number[];
  /** The same set by name ("input" for 0). */
  readonly mixupLayerNames: readonly string[];
}

export function asModel(seq: Sequential, inputShape: Shape, mixupLayerNames: readonly string[]): Model {
  return Object.freeze({
    ...seq,
    inputShape: Object.freeze([...inputShape]),
    mixupLayers: Object.freeze(boundaryIndices(seq, mixupLayerNames)),
    mixupLayerNames: Object.freeze([...mixupLayerNames]),
  });
}

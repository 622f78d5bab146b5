import { boundaryIndices } from "../boundaries.js";
import type { Sequential } from "../combinators/sequential.js";
import type { Shape } from "../layer.js";

/** A ready-made network: a sequential with its input shape and the boundaries its paper's experiments use. */
export interface Model extends Sequential {
  /** The input it is built for, batch first (-1). */
  readonly inputShape: Shape;
  /** The boundaries the paper's experiments act at, as indices (0 is the input, i >= 1 the i-th tag). */
  readonly paperBoundaries: readonly number[];
  /** The same set by name ("input" for 0). */
  readonly paperBoundaryNames: readonly string[];
  /** @deprecated The old name of `paperBoundaries`; kept while other code moves over. */
  readonly mixupLayers: readonly number[];
  /** @deprecated The old name of `paperBoundaryNames`. */
  readonly mixupLayerNames: readonly string[];
}

export function asModel(seq: Sequential, inputShape: Shape, paperBoundaryNames: readonly string[]): Model {
  const indices = Object.freeze(boundaryIndices(seq, paperBoundaryNames));
  const names = Object.freeze([...paperBoundaryNames]);
  return Object.freeze({
    ...seq,
    inputShape: Object.freeze([...inputShape]),
    paperBoundaries: indices,
    paperBoundaryNames: names,
    mixupLayers: indices,
    mixupLayerNames: names,
  });
}

import type { Array } from "./array.js";
import type { BatchRule } from "./batch-rules.js";
import * as np from "./np.js";
import { bind } from "./trace.js";

/**
 * vmap of the convolution family as one convolution, whichever operands are batched (S = the vmapped size,
 * G = the per-example groups, C/G channels per group):
 * - batched activations, shared filter: S folds into N;
 * - both batched (S models on S batches): S moves into the channels, seed-major, and the groups become S·G,
 *   so seed s's channels meet seed s's filter only;
 * - shared activations, batched filter (S models on one batch): S moves into the filter's output (or, for the
 *   input gradient, input) channels inside each group, group-major: one convolution, G groups, S times wider.
 * Never one convolution per vmapped index: S models of a CNN are as many convolutions as one model.
 */

/** [S, a, b, c, C] with C = G·k to [a, b, c, G·S·k]: seed s's run of group g at (g·S + s)·k. G = 1 is seed-major. */
function seedsIntoChannels(x: Array, groups: number): Array {
  const [s, a, b, c, ch] = x.shape as [number, number, number, number, number];
  const k = ch / groups;
  const split = np.reshape(x, [s, a, b, c, groups, k]);
  return np.reshape(np.transpose(split, [1, 2, 3, 4, 0, 5]), [a, b, c, groups * s * k]);
}

/** The inverse of seedsIntoChannels: [a, b, c, G·S·k] to [S, a, b, c, G·k]. */
function channelsIntoSeeds(x: Array, seeds: number, groups: number): Array {
  const [a, b, c, ch] = x.shape as [number, number, number, number];
  const k = ch / (groups * seeds);
  const split = np.reshape(x, [a, b, c, groups, seeds, k]);
  return np.reshape(np.transpose(split, [4, 0, 1, 2, 3, 5]), [seeds, a, b, c, groups * k]);
}

/** A batched filter [S, KH, KW, I, O] with S moved into its input axis: [KH, KW, S·I, O]. */
function seedsIntoFilterInputs(w: Array): Array {
  const [s, kh, kw, i, o] = w.shape as [number, number, number, number, number];
  return np.reshape(np.transpose(w, [1, 2, 0, 3, 4]), [kh, kw, s * i, o]);
}

/** The inverse of seedsIntoFilterInputs: [KH, KW, S·I, O] to [S, KH, KW, I, O]. */
function filterInputsIntoSeeds(w: Array, seeds: number): Array {
  const [kh, kw, si, o] = w.shape as [number, number, number, number];
  return np.transpose(np.reshape(w, [kh, kw, seeds, si / seeds, o]), [2, 0, 1, 3, 4]);
}

/** A batch of image batches as one: [B, N, ...] -> [B·N, ...] (the pools' rules use it too), and back. */
export const foldIntoN = (x: Array) => np.reshape(x, [x.shape[0]! * x.shape[1]!, ...x.shape.slice(2)]);
export const unfoldN = (x: Array, size: number) => np.reshape(x, [size, x.shape[0]! / size, ...x.shape.slice(1)]);
const withChannels = (shape: readonly number[], channels: number) => [...shape.slice(0, 3), channels];

export const convBatchRule: BatchRule<"conv"> = (ops, batched, params, size) => {
  const [x, w] = ops as [Array, Array];
  const { groups } = params;
  if (!batched[1]) return unfoldN(bind("conv", [foldIntoN(x), w], params), size);
  if (batched[0]) return channelsIntoSeeds(bind("conv", [seedsIntoChannels(x, 1), seedsIntoChannels(w, 1)], { ...params, groups: size * groups }), size, 1);
  return channelsIntoSeeds(bind("conv", [x, seedsIntoChannels(w, groups)], params), size, groups);
};

export const convTransposeBatchRule: BatchRule<"conv_transpose"> = (ops, batched, params, size) => {
  const [ct, w] = ops as [Array, Array];
  const { groups, inputShape } = params;
  if (!batched[1]) return unfoldN(bind("conv_transpose", [foldIntoN(ct), w], { ...params, inputShape: [size * inputShape[0]!, ...inputShape.slice(1)] }), size);
  if (batched[0]) {
    const wide = { ...params, groups: size * groups, inputShape: withChannels(inputShape, size * inputShape[3]!) };
    return channelsIntoSeeds(bind("conv_transpose", [seedsIntoChannels(ct, 1), seedsIntoChannels(w, 1)], wide), size, 1);
  }
  // One cotangent for every filter: each group's input channels widen to S runs, one per seed.
  const wide = { ...params, inputShape: withChannels(inputShape, size * inputShape[3]!) };
  return channelsIntoSeeds(bind("conv_transpose", [ct, seedsIntoFilterInputs(w)], wide), size, groups);
};

export const convFilterGradBatchRule: BatchRule<"conv_filter_grad"> = (ops, batched, params, size) => {
  const [x, ct] = ops as [Array, Array];
  const { groups, filterShape } = params;
  // Per-example filter gradients included: a batch of examples is a batch of seeds here.
  if (batched[0] && batched[1]) {
    const wide = { ...params, groups: size * groups, filterShape: withChannels(filterShape, size * filterShape[3]!) };
    return channelsIntoSeeds(bind("conv_filter_grad", [seedsIntoChannels(x, 1), seedsIntoChannels(ct, 1)], wide), size, 1);
  }
  if (batched[1]) {
    const wide = { ...params, filterShape: withChannels(filterShape, size * filterShape[3]!) };
    return channelsIntoSeeds(bind("conv_filter_grad", [x, seedsIntoChannels(ct, groups)], wide), size, groups);
  }
  const wide = { ...params, filterShape: [filterShape[0]!, filterShape[1]!, size * filterShape[2]!, filterShape[3]!] };
  return filterInputsIntoSeeds(bind("conv_filter_grad", [seedsIntoChannels(x, groups), ct], wide), size);
};

import { currentScope, lax, np, type Array } from "@mmx/core";
import { defineLeaf, shapeError } from "../define.js";
import { LayerOptionError } from "../errors.js";
import { constant } from "../initializers.js";
import type { Layer } from "../layer.js";
import { leafShape } from "./like.js";

export interface BatchNormOptions {
  /**
   * PyTorch's convention: running = (1 - momentum) * running + momentum * batch (default 0.1; the
   * official WRN-28-10 uses 0.9 on its last batch norm).
   */
  momentum?: number;
  /** Added to the variance (default 1e-5, as PyTorch). */
  eps?: number;
  /** The number of channels, checked against the input (by default its last axis). */
  channels?: number;
  name?: string;
}

export interface BatchNormParams {
  weight: Array;
  bias: Array;
}
export interface BatchNormState {
  runningMean: Array;
  runningVar: Array;
}

/**
 * Batch normalisation over every axis but the last (channels last: NHWC images, [N, C] features).
 * Training mode normalises with the batch mean and biased variance and returns running statistics
 * updated as PyTorch does (with the unbiased batch variance); evaluation mode uses the running ones.
 * Params `{ weight, bias }` (1 and 0), state `{ runningMean, runningVar }` (0 and 1).
 */
export function batchNorm(opts: BatchNormOptions = {}): Layer {
  const momentum = opts.momentum ?? 0.1;
  const eps = opts.eps ?? 1e-5;
  if (!(momentum >= 0 && momentum <= 1)) throw new RangeError(`batchNorm: momentum must lie in [0, 1], got ${momentum}`);
  if (!(eps > 0)) throw new RangeError(`batchNorm: eps must be positive, got ${eps}`);
  return defineLeaf({
    kind: "batchNorm",
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    hasParams: true,
    hasState: true,
    spec(inputShape, like) {
      const c = opts.channels ?? leafShape(like, "weight")?.[0] ?? inputShape[inputShape.length - 1];
      if (inputShape.length < 2 || inputShape[inputShape.length - 1] !== c) {
        throw shapeError("batchNorm", `[N,...,${c ?? "C"}]`, inputShape, "channels last, at least 2 axes");
      }
      return {
        params: { weight: constant([c!], 1), bias: constant([c!], 0) },
        state: { runningMean: constant([c!], 0), runningVar: constant([c!], 1) },
        outputShape: [...inputShape],
      };
    },
    forward(p: BatchNormParams, x, { train, state }) {
      const s = state as BatchNormState;
      const axes = x.shape.slice(0, -1).map((_, i) => i);
      let mean: Array;
      let variance: Array;
      let next: BatchNormState = s;
      if (train) {
        const n = x.size / x.shape[x.ndim - 1]!;
        if (n < 2) throw new LayerOptionError(currentScope(), "batchNorm", `training mode needs more than one value per channel, got input [${x.shape.join(",")}]`);
        mean = np.mean(x, { axis: axes });
        variance = np.mean(np.square(np.sub(x, mean)), { axis: axes });
        // The running statistics are bookkeeping, not part of the differentiated computation.
        const unbiased = lax.stopGradient(np.mul(variance, n / (n - 1)));
        next = {
          runningMean: np.add(np.mul(s.runningMean, 1 - momentum), np.mul(lax.stopGradient(mean), momentum)),
          runningVar: np.add(np.mul(s.runningVar, 1 - momentum), np.mul(unbiased, momentum)),
        };
      } else {
        mean = s.runningMean;
        variance = s.runningVar;
      }
      // y = (x - mean) / sqrt(var + eps) * weight + bias, as one scale and one shift over x.
      const scale = np.mul(p.weight, np.rsqrt(np.add(variance, eps)));
      const shift = np.sub(p.bias, np.mul(mean, scale));
      return { out: np.add(np.mul(x, scale), shift), state: next };
    },
  });
}

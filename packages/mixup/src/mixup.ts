import { Array, np } from "@mmx/core";
import { checkLabels, checkSmoothing, smoothLabels } from "@mmx/losses";
import { boundaries, type BoundaryRef } from "./boundaries.js";
import { mixHidden } from "./mix-hidden.js";
import { asMixing, type Mixing } from "./mixing.js";
import { ruleOf } from "./mixing-rules.js";
import { addFeatureNoise } from "./noise.js";
import { checkPlacement, type PlacementOptions } from "./placement.js";
import { checkTargets, checkTargetShape, type Lambda, type PermInput } from "./validate.js";

/** A model function: params, a batch x, and anything else it needs (state, flags). */
export type ModelFn<P = any, R extends any[] = any[]> = (params: P, x: Array, ...rest: R) => Array | { out: Array };

/** What a mixed model returns: its output (and any other fields it returned) and the mixed targets. */
export type Mixed = { out: Array; targets: Array } & Record<string, unknown>;

/** The mixed model: it takes the model's own params type (and its extra arguments) after x, y and perm. */
export type MixedFn<P = any, R extends any[] = any[]> = (params: P, x: Array, y: Array, perm: PermInput, ...rest: R) => Mixed;

/** Options of the mixup transform beside the mixing itself; where it applies (`at`, `bn`, `onWarning`) is PlacementOptions'. */
export interface MixupOptions extends PlacementOptions {
  /** Label smoothing ε in [0, 1]: the dense targets become (1 − ε)·y + ε/C before they are mixed (default 0). */
  labelSmoothing?: number;
}

/**
 * `mixup(k, λ)(f)`: the model `f(params, x, ...rest)` with its hidden state at boundary k (0 = the
 * input, i >= 1 = the i-th `tag`, or a tag's name) replaced by `λ·h + (1−λ)·h[perm]`, and the targets
 * mixed the same way. f is traced into a jaxpr and re-evaluated with the interpolation inserted
 * after boundary k; f itself is not edited and needs no mixup-aware code. Gradients flow through
 * both copies of the batch and into the layers before k, as in the official code.
 *
 * The result `g(params, x, y, perm, ...rest)` returns `{ out, targets }` (plus every other field of f's
 * output when f returns an object with `out`, such as batch-norm state). y is one-hot or soft targets
 * [B, C], or int32 labels [B] (one-hot encoded with C = the output's last axis). λ is a number, a
 * scalar array or one value per example ([B]). g composes with grad and jit.
 *
 * Instead of λ, `how` may be a {@link Mixing}: `{ kind: "lerp", lambda }` (the same as λ), `{ kind: "mask", mask }`
 * (CutMix, PatchUp: `m ⊙ h + (1 − m) ⊙ h[perm]`, targets weighted by the kept fraction) or
 * `{ kind: "dirichlet", weights }` (n-way: `Σ_j w_j·h[perm_j]`, perm int32 [m, B]), each with optional
 * Noisy Feature Mixup `noise`. The targets are always mixed with exactly the weights the hidden state gets.
 *
 * `opts.at` says what is mixed at boundary k: "cut" (default) every per-example value live across the
 * cut after the tag (a residual block's skip path included), each with the same mixing; "tag" the tagged
 * value only; `opts.bn` which batch the batch statistics after k come from ("mixed", "clean", "after").
 */
export function mixup(layer: BoundaryRef, how: Lambda | Mixing, opts: MixupOptions = {}): <P, R extends any[]>(f: ModelFn<P, R>) => MixedFn<P, R> {
  const mixing = asMixing("mixup", how);
  const rule = ruleOf("mixup", mixing);
  const smoothing = checkSmoothing(opts.labelSmoothing ?? 0, "mixup");
  const placement = checkPlacement("mixup", opts);
  return <P, R extends any[]>(f: ModelFn<P, R>): MixedFn<P, R> =>
    (params, x, y, perm, ...rest) => {
      if (!(x instanceof Array) || x.ndim === 0) throw new TypeError("mixup: x must be an array with a batch axis");
      const batch = x.shape[0]!;
      rule.check("mixup", mixing, batch);
      checkTargets("mixup", y, batch);
      const permutation = rule.perm("mixup", perm, batch, mixing);
      const mix = (h: Array) => addFeatureNoise("mixup", rule.mix("mixup", h, mixing, permutation), mixing.noise);
      const result = mixHidden("mixup", [{ layer, mix }], placement, f)(f)(params, x, ...rest);
      const out = outputOf(result);
      const classes = out.shape[out.ndim - 1]!;
      checkTargetShape("mixup", y, batch, classes);
      if (y.ndim === 1) checkLabels(y, classes, "mixup");
      const dense = y.dtype === "int32" ? np.oneHot(y, classes) : y;
      const targets = rule.mixTargets(smoothLabels(dense, smoothing), mixing, permutation);
      return result instanceof Array ? { out, targets } : { ...(result as object), out, targets };
    };
}

function outputOf(result: unknown): Array {
  if (result instanceof Array) return result;
  const out = (result as { out?: unknown } | null)?.out;
  if (out instanceof Array) return out;
  throw new TypeError("mixup: the model must return an array (its output) or an object with an `out` array");
}

/** `mixup.boundaries(f, ...exampleArgs)`: the boundaries mixup can act at, by index, name and shape, with what each cut mixes. */
mixup.boundaries = boundaries;

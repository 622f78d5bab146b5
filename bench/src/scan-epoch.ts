import { dispose, jit, lax, np, tidy, valueAndGrad, type Array as MxArray } from "@mmx/core";
import { checkLabels } from "@mmx/losses";
import { mixup, type MixupPolicy, type TrainableModel } from "@mmx/mixup";
import { applyUpdates, type Optimizer, type OptimizerState } from "@mmx/optim";
import type { Key } from "@mmx/random";

export interface EpochResult<P, S extends OptimizerState> {
  params: P;
  opt: S;
  /** Every step's training loss, f32[T]. */
  losses: MxArray;
}

export interface ScanEpoch<P, S extends OptimizerState> {
  /**
   * T steps over stacked batches xs [T, B, ...] and labels ys [T, B], step t drawing its λ and pairing from
   * keys[t] as `trainStep` does with that key. The given params and opt stay valid (nothing is donated).
   */
  (params: P, opt: S, xs: MxArray, ys: MxArray, keys: readonly Key[]): EpochResult<P, S>;
}

/**
 * A training epoch as one program: `lax.scan` over the stacked batches of `trainStep`'s step (forward on the mixed
 * batch, backward, optimizer update) for a policy of one mixing layer, such as input mixup. The policy's draws for
 * every step are made on the host before the epoch (the same draws `trainStep` makes with the same keys) and
 * scanned over with the batches; the layer is the program's, so a policy that draws the layer per step (Manifold
 * Mixup over several layers) needs one program per layer and is refused here.
 */
export function scanEpoch<P, S extends OptimizerState>(opts: { model: TrainableModel<P>; loss: (out: MxArray, targets: MxArray) => MxArray; optimizer: Optimizer<S>; policy: MixupPolicy }): ScanEpoch<P, S> {
  const { model, loss, optimizer, policy } = opts;
  if (policy.layers.length !== 1) throw new RangeError(`scanEpoch: the policy draws its layer from ${policy.layers.length} layers; a scanned epoch mixes at one layer (input mixup, or manifoldMixup with one layer)`);
  if (policy.needsShapes || policy.usesProgress || policy.perExample) throw new TypeError("scanEpoch: the policy draws masks, noise, a schedule or per-example λ; the scanned epoch takes one λ per step");
  const layer = policy.layers[0]!;
  const forward = (p: P, x: MxArray) => model.apply(p, x, { train: true }).out;
  type Batch = { x: MxArray; y: MxArray; lambda: MxArray; perm: MxArray };
  const step = ([params, opt]: [P, S], b: Batch): [[P, S], MxArray] => {
    const objective = (p: P) => {
      const r = mixup(layer, b.lambda)(forward)(p, b.x, b.y, b.perm);
      return loss(r.out, r.targets);
    };
    const [value, grads] = valueAndGrad(objective)(params);
    const { updates, state } = optimizer.update(grads as P, opt, params);
    return [[applyUpdates(params, updates), state], value];
  };
  const epoch = jit((params: P, opt: S, x: MxArray, y: MxArray, lambda: MxArray, perm: MxArray): EpochResult<P, S> => {
    const [[p, o], losses] = lax.scan(step, [params, opt] as [P, S], { x, y, lambda, perm });
    return { params: p, opt: o, losses: losses as MxArray };
  });
  let classes: number | undefined;
  return (params, opt, xs, ys, keys) => {
    const [steps, batch] = [xs.shape[0]!, xs.shape[1]!];
    if (keys.length !== steps) throw new RangeError(`scanEpoch: keys lists ${keys.length} keys for ${steps} steps (xs ${xs.aval})`);
    if (ys.dtype !== "int32" || ys.ndim !== 2 || ys.shape[0] !== steps || ys.shape[1] !== batch) throw new RangeError(`scanEpoch: ys must be int32 labels [${steps}, ${batch}] for xs ${xs.aval}, got ${ys.aval}`);
    const draws = keys.map((k) => policy.sample(k, batch));
    const unmixed = draws.findIndex((d) => !d.active || typeof d.lambda !== "number");
    if (unmixed >= 0) {
      dispose(draws.map((d) => d.perm));
      throw new RangeError(`scanEpoch: step ${unmixed}'s draw does not mix with one λ (α must be > 0)`);
    }
    const lambda = np.array(Float32Array.from(draws.map((d) => d.lambda as number)), { shape: [steps] });
    const perm = np.stack(draws.map((d) => d.perm));
    dispose(draws.map((d) => d.perm));
    // As trainStep does, labels are checked on the host: inside the program they are not known.
    const flat = np.reshape(ys, [steps * batch]);
    try {
      classes ??= tidy(() => model.apply(params, np.zeros([1, ...xs.shape.slice(2)]), { train: false }).out.shape.at(-1)!);
      checkLabels(flat, classes!, "scanEpoch");
      return epoch(params, opt, xs, ys, lambda, perm);
    } finally {
      dispose([flat, lambda, perm]);
    }
  };
}

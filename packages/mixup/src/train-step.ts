import { Array, jit, np, tree, valueAndGrad, type PyTree } from "@mmx/core";
import { checkLabels } from "@mmx/losses";
import type { Optimizer, OptimizerState } from "@mmx/optim";
import type { Key } from "@mmx/random";
import type { BoundaryRef } from "./boundaries.js";
import { mixup } from "./mixup.js";
import type { MixupPolicy } from "./policy.js";

/** A model as @mmx/nn makes them: `apply(params, x, { train, state }) -> { out, state }`. */
export interface TrainableModel {
  apply(params: PyTree, x: Array, opts?: { train?: boolean; state?: PyTree }): { out: Array; state: PyTree };
}

export interface TrainStepOptions<S extends OptimizerState = OptimizerState> {
  model: TrainableModel;
  /** A loss of (outputs, targets): targets are (mixed) one-hot rows. bceSoftmax is the official code's. */
  loss: (out: Array, targets: Array) => Array;
  optimizer: Optimizer<S>;
  /** Manifold or input mixup; without one (or with α <= 0) the step trains on the clean batch. */
  policy?: MixupPolicy;
}

/** Everything a training loop carries from step to step: plain trees, so they can be saved. */
export interface TrainState<S extends OptimizerState = OptimizerState> {
  params: PyTree;
  opt: S;
  /** The model's state (batch-norm running statistics); `{}` for a stateless model. */
  modelState: PyTree;
}

export interface StepResult<S extends OptimizerState = OptimizerState> {
  state: TrainState<S>;
  /** The training loss of this step (a scalar array; reading it waits for the step). */
  loss: Array;
  /** Where this step mixed (null: it did not). */
  layer: BoundaryRef | null;
}

export interface TrainStep<S extends OptimizerState = OptimizerState> {
  /** One step on a batch: y holds int32 labels [B] or one-hot rows [B, C]; key drives the policy. */
  (state: TrainState<S>, x: Array, y: Array, key: Key): StepResult<S>;
  init(params: PyTree, modelState?: PyTree): TrainState<S>;
  /** How many programs were compiled: one per eligible layer used so far (and one for clean steps). */
  readonly programs: number;
}

/**
 * A jitted training step: the policy draws (k, λ, perm) on the host, then one compiled program per k
 * runs forward on the mixed batch, backward, and the optimizer update, threading batch-norm state.
 * The old state's arrays are freed when the step returns the new ones, so a loop holds one copy.
 */
export function trainStep<S extends OptimizerState>(opts: TrainStepOptions<S>): TrainStep<S> {
  const { model, loss, optimizer, policy } = opts;
  const forward = (p: PyTree, x: Array, st: PyTree) => {
    const r = model.apply(p, x, { train: true, state: st });
    return { out: r.out, state: r.state };
  };
  /** The model's class count (its output's last axis), learnt when the step is first traced. */
  let classes: number | undefined;
  const program = jit(
    (layer: BoundaryRef | null, params: PyTree, opt: S, modelState: PyTree, x: Array, y: Array, lambda: Array, perm: Array) => {
      const objective = (p: PyTree) => {
        if (layer === null) {
          const r = forward(p, x, modelState);
          classes = r.out.shape[r.out.ndim - 1]!;
          const targets = y.dtype === "int32" ? np.oneHot(y, classes) : y;
          return [loss(r.out, targets), r.state];
        }
        const r = mixup(layer, lambda)(forward)(p, x, y, perm, modelState);
        classes = r.out.shape[r.out.ndim - 1]!;
        return [loss(r.out, r.targets), r.state];
      };
      const [[value, state], grads] = valueAndGrad(objective, { hasAux: true })(params);
      const updated = optimizer.update(grads, opt, params);
      return { params: updated.params, opt: updated.state, modelState: state, loss: value };
    },
    { staticArgnums: [0] },
  );

  const step = ((state: TrainState<S>, x: Array, y: Array, key: Key): StepResult<S> => {
    const batch = x.shape[0]!;
    const draw = policy && policy.alpha > 0 ? policy.sample(key, batch) : null;
    const lambda = draw ? (typeof draw.lambda === "number" ? np.array(draw.lambda) : draw.lambda) : np.array(1);
    const perm = draw ? draw.perm : np.arange(batch);
    const layer = draw ? draw.layer : null;
    if (y instanceof Array && y.ndim === 1) {
      // Labels are checked on the host before the step runs: inside the compiled step they are not
      // known, and one outside [0, classes) would make an all-zero target row (a finite, wrong loss).
      try {
        if (y.dtype !== "int32") checkLabels(y, 0, "trainStep");
        if (classes === undefined) program.lower(layer, state.params, state.opt, state.modelState, x, y, lambda, perm);
        checkLabels(y, classes!, "trainStep");
      } catch (e) {
        for (const a of [lambda, perm]) a.dispose();
        throw e;
      }
    }
    const out = program(layer, state.params, state.opt, state.modelState, x, y, lambda, perm) as TrainState<S> & { loss: Array };
    for (const a of [lambda, perm]) a.dispose();
    for (const leaf of tree.leaves([state.params, state.opt, state.modelState])) (leaf as Array).dispose();
    return { state: { params: out.params, opt: out.opt, modelState: out.modelState }, loss: out.loss, layer: draw ? draw.layer : null };
  }) as TrainStep<S>;
  step.init = (params, modelState = {}) => ({ params, opt: optimizer.init(params), modelState });
  Object.defineProperty(step, "programs", { get: () => program.cacheSize });
  return step;
}

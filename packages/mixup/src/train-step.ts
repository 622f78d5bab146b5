import { DeviceArray, dispose, jit, NDArray as Array, np, tree, valueAndGrad, type PyTree } from "@mmx/core";
import { checkLabels } from "@mmx/losses";
import type { Optimizer, OptimizerState } from "@mmx/optim";
import type { Key } from "@mmx/random";
import type { BoundaryRef } from "./boundaries.js";
import { mixup } from "./mixup.js";
import type { MixupPolicy } from "./policy.js";

/** A model as @mmx/nn makes them: `apply(params, x, { train, state }) -> { out, state }`. */
export interface TrainableModel<P = PyTree> {
  apply(params: P, x: Array, opts?: { train?: boolean; state?: PyTree }): { out: Array; state: PyTree };
}

export interface TrainStepOptions<P = PyTree, S extends OptimizerState = OptimizerState> {
  model: TrainableModel<P>;
  /** A loss of (outputs, targets): targets are (mixed) one-hot rows. bceSoftmax is the official code's. */
  loss: (out: Array, targets: Array) => Array;
  optimizer: Optimizer<S>;
  /** Manifold or input mixup; without one (or with α <= 0) the step trains on the clean batch. */
  policy?: MixupPolicy;
  /**
   * Whether `step(state, ...)` frees the state it is given once the new one is made (default true), as a jitted
   * step with JAX's `donate_argnums=(0,)` does: a loop then holds one state, even one that never yields to the
   * event loop (where the garbage collector cannot free old states in time). Only arrays the step made are freed
   * (by earlier steps, or `init`'s optimizer state): never the params and model state passed to `init`. Using a
   * freed state again throws an error that says it was donated. With false nothing is freed by the step and old
   * states stay readable (they are freed once unreachable).
   */
  donate?: boolean;
}

/** Everything a training loop carries from step to step: plain trees, so they can be saved. */
export interface TrainState<P = PyTree, S extends OptimizerState = OptimizerState> {
  params: P;
  opt: S;
  /** The model's state (batch-norm running statistics); `{}` for a stateless model. */
  modelState: PyTree;
}

export interface StepResult<P = PyTree, S extends OptimizerState = OptimizerState> {
  state: TrainState<P, S>;
  /** The training loss of this step (a scalar array; reading it waits for the step). */
  loss: Array;
  /** Where this step mixed (null: it did not). */
  layer: BoundaryRef | null;
}

export interface TrainStep<P = PyTree, S extends OptimizerState = OptimizerState> {
  /** One step on a batch: y holds int32 labels [B] or one-hot rows [B, C]; key drives the policy. */
  <Q extends P>(state: TrainState<Q, S>, x: Array, y: Array, key: Key): StepResult<Q, S>;
  /** The first state: these params (never freed by a step) and a fresh optimizer state. */
  /**
   * The same step, resolved once its program has run: the call to use where the backend's runtime is asynchronous
   * (onnx in a browser). Keep x and y alive until it settles.
   */
  callAsync<Q extends P>(state: TrainState<Q, S>, x: Array, y: Array, key: Key): Promise<StepResult<Q, S>>;
  init<Q extends P>(params: Q, modelState?: PyTree): TrainState<Q, S>;
  /** How many programs were compiled: one per eligible layer used so far (and one for clean steps). */
  readonly programs: number;
}

/**
 * A jitted training step: the policy draws (k, λ, perm) on the host, then one compiled program per k
 * runs forward on the mixed batch, backward, and the optimizer update, threading batch-norm state.
 * The state passed in is donated (see `donate`), so a loop holds one copy; what the user gave `init` is never freed.
 */
export function trainStep<P = PyTree, S extends OptimizerState = OptimizerState>(opts: TrainStepOptions<P, S>): TrainStep<P, S> {
  const { policy } = opts;
  const donating = opts.donate ?? true;
  /** Arrays this step made (outputs, init's optimizer state): the only ones donation frees. */
  const made = new WeakSet<object>();
  const own = <T>(t: T): T => {
    for (const leaf of tree.leaves(t)) if (leaf instanceof DeviceArray) made.add(leaf);
    return t;
  };
  const donatedBy = "donated to trainStep: step(state) consumes the state passed to it; keep the one it returns (or pass donate: false)";
  /** The model's class count (its output's last axis), learnt when the step is first traced. */
  let classes: number | undefined;
  const program = jit(stepFunction(opts, (c) => (classes = c)), { staticArgnums: [0] });

  type Args = Parameters<typeof program>;
  type Out = TrainState<P, S> & { loss: Array };
  /** The policy's draw for a batch, as the program's arguments (lambda and perm are freed by `finish`). */
  const prepare = (state: TrainState<P, S>, x: Array, y: Array, key: Key): { args: Args; layer: BoundaryRef | null } => {
    checkStepInputs(state, x, y);
    const batch = x.shape[0]!;
    const draw = policy && policy.alpha > 0 ? policy.sample(key, batch) : null;
    const lambda = draw ? (typeof draw.lambda === "number" ? np.array(draw.lambda) : draw.lambda) : np.array(1);
    const perm = draw ? draw.perm : np.arange(batch);
    const layer = draw ? draw.layer : null;
    const args: Args = [layer, state.params, state.opt, state.modelState, x, y, lambda, perm];
    if (y instanceof Array && y.ndim === 1) {
      // Labels are checked on the host before the step runs: inside the compiled step they are not
      // known, and one outside [0, classes) would make an all-zero target row (a finite, wrong loss).
      try {
        if (y.dtype !== "int32") checkLabels(y, 0, "trainStep");
        if (classes === undefined) program.lower(...args);
        checkLabels(y, classes!, "trainStep");
      } catch (e) {
        dispose([lambda, perm]);
        throw e;
      }
    }
    return { args, layer };
  };
  const finish = (state: TrainState<P, S>, args: Args, layer: BoundaryRef | null, result: Out): StepResult<P, S> => {
    const out = own(result);
    dispose([args[6], args[7]]);
    if (donating) {
      const kept = new Set(tree.leaves([out, args[4], args[5]]));
      dispose(
        tree.leaves([state.params, state.opt, state.modelState]).filter((leaf) => made.has(leaf as object) && !kept.has(leaf)),
        { by: donatedBy },
      );
    }
    return { state: { params: out.params, opt: out.opt, modelState: out.modelState }, loss: out.loss, layer };
  };

  const step = (<Q extends P>(state: TrainState<Q, S>, x: Array, y: Array, key: Key): StepResult<Q, S> => {
    const { args, layer } = prepare(state, x, y, key);
    return finish(state, args, layer, program(...args) as Out) as StepResult<Q, S>;
  }) as TrainStep<P, S>;
  step.callAsync = async <Q extends P>(state: TrainState<Q, S>, x: Array, y: Array, key: Key): Promise<StepResult<Q, S>> => {
    const { args, layer } = prepare(state, x, y, key);
    return finish(state, args, layer, (await program.callAsync(...args)) as Out) as StepResult<Q, S>;
  };
  step.init = (params, modelState = {}) => ({ params, opt: own(opts.optimizer.init(params)), modelState });
  Object.defineProperty(step, "programs", { get: () => program.cacheSize });
  return step;
}

/**
 * One training step as a pure function of (layer, params, opt, modelState, x, y, λ, perm): forward on the
 * mixed batch (clean where layer is null), backward, and the optimizer update, threading batch-norm state.
 * `trainStep` jits it per layer; `trainSeeds` jits it mapped over seeds. `onClasses` learns the class count.
 */
export function stepFunction<P, S extends OptimizerState>(opts: Pick<TrainStepOptions<P, S>, "model" | "loss" | "optimizer">, onClasses: (classes: number) => void) {
  const { model, loss, optimizer } = opts;
  const forward = (p: P, x: Array, st: PyTree) => {
    const r = model.apply(p, x, { train: true, state: st });
    return { out: r.out, state: r.state };
  };
  return (layer: BoundaryRef | null, params: P, opt: S, modelState: PyTree, x: Array, y: Array, lambda: Array, perm: Array): TrainState<P, S> & { loss: Array } => {
    const objective = (p: P) => {
      if (layer === null) {
        const r = forward(p, x, modelState);
        const classes = r.out.shape[r.out.ndim - 1]!;
        onClasses(classes);
        const targets = y.dtype === "int32" ? np.oneHot(y, classes) : y;
        return [loss(r.out, targets), r.state];
      }
      const r = mixup(layer, lambda)(forward)(p, x, y, perm, modelState);
      onClasses(r.out.shape[r.out.ndim - 1]!);
      return [loss(r.out, r.targets), r.state] as [Array, PyTree];
    };
    const [[value, state], grads] = valueAndGrad(objective, { hasAux: true })(params);
    // The gradient of params P is a tree like P (its number leaves, if any, become arrays).
    const updated = optimizer.update(grads as P, opt, params);
    return { params: updated.params, opt: updated.state, modelState: state, loss: value };
  };
}

/** What a step is given, checked before anything is drawn or traced: each mistake named, not a property read of null. */
function checkStepInputs(state: unknown, x: unknown, y: unknown): void {
  const s = state as Partial<TrainState> | null;
  if (typeof s !== "object" || s === null || !("params" in s) || !("opt" in s)) {
    throw new TypeError(`trainStep: state must be { params, opt, modelState } (from step.init(params) or a previous step), got ${s === null ? "null" : typeof s}`);
  }
  if (!(x instanceof Array) || x.ndim === 0) throw new TypeError(`trainStep: x must be an mmx Array with a batch axis, got ${x instanceof Array ? `${x.dtype}[]` : x === null ? "null" : typeof x}`);
  if (x.shape[0] === 0) throw new RangeError(`trainStep: the batch is empty (x is ${x.dtype}[${x.shape.join(",")}]); a step needs at least one example`);
  if (!(y instanceof Array) || y.ndim === 0) throw new TypeError(`trainStep: y must be int32 labels [B] or target rows [B, C] (an mmx Array), got ${y instanceof Array ? `${y.dtype}[]` : y === null ? "null" : typeof y}`);
  if (y.shape[0] !== x.shape[0]) throw new RangeError(`trainStep: y has ${y.shape[0]} examples (${y.dtype}[${y.shape.join(",")}]) but x has ${x.shape[0]}`);
}

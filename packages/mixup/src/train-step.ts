import { dispose, jit, NDArray as Array, np, tree, valueAndGrad, type ClosedJaxpr, type PyTree, type StepTiming } from "@mmx/core";
import { smoothLabels } from "@mmx/losses";
import { applyUpdates, type Optimizer, type OptimizerState } from "@mmx/optim";
import type { Key } from "@mmx/random";
import { boundaries, type Boundary, type BoundaryRef } from "./boundaries.js";
import { checkHostLabels } from "./host-labels.js";
import type { Mixing, MixingKind } from "./mixing.js";
import { mixup } from "./mixup.js";
import { patchUpTerm } from "./patchup-loss.js";
import { checkPlacement, type PlacementOptions } from "./placement.js";
import type { MixupPolicy, Progress } from "./policy.js";
import { scanSteps, type ScanProgress, type ScanResult, type ScanSteps } from "./scan-steps.js";
import { stateOwnership } from "./state-ownership.js";
import { stepLossOptions } from "./step-loss-options.js";
import { forwardOf, type TrainableModel } from "./trainable-model.js";

export type { TrainableModel } from "./trainable-model.js";

/** A Mixing without its kind: the arrays a jitted step takes as inputs (the kind is a static argument). */
export type MixingArrays = { [key: string]: Array | { [key: string]: Array } };


export interface TrainStepOptions<P = PyTree, S extends OptimizerState = OptimizerState> {
  model: TrainableModel<P>;
  /** A loss of (outputs, targets): targets are (mixed) one-hot rows. bceSoftmax is the official code's. */
  loss: (out: Array, targets: Array) => Array;
  optimizer: Optimizer<S>;
  /** Manifold or input mixup; without one (or with α <= 0) the step trains on the clean batch. */
  policy?: MixupPolicy;
  /** Where the policy's mixing applies (cut or tag, the batch-statistics policy, the warning sink): `mixup`'s options. */
  mixupOptions?: PlacementOptions;
  /**
   * Whether `step(state, ...)` frees the state it is given once the new one is made, as a jitted step with JAX's
   * `donate_argnums=(0,)` does (default false: nothing is freed by the step; old states stay readable and are freed
   * once unreachable). Donate in a loop that never yields to the event loop: there the garbage collector cannot free
   * old states until the loop ends, and with donation the loop holds one state. Only arrays the step made are freed
   * (by earlier steps, or `init`'s optimizer state): never the params and model state passed to `init`. Using a
   * donated state again throws an error that says so. Without donation, a step that finds `liveStatesWarning` of the
   * states it made still alive warns once (see `LiveStates`).
   */
  donate?: boolean;
  /**
   * Without donation: how many of the states the steps made may be alive at once before the step warns, once, that a
   * synchronous loop is piling them up (a positive integer, default 64); false never warns. For a loop that keeps
   * many states on purpose (snapshots of an ensemble). Ignored with `donate: true`, which counts nothing.
   */
  liveStatesWarning?: number | false;
  /** Label smoothing ε in [0, 1] of the targets, clean or mixed (applied before mixing; default 0). */
  labelSmoothing?: number;
  /**
   * RegMixup (Pinto et al. 2022): the loss is `loss(clean) + weight·loss(mixed)` in one program, on steps that mix
   * (others train on the clean loss alone). It costs two forward passes (and their backward) per step. The paper
   * pairs it with a large α (10 to 20) in the policy. Batch-norm state threads through the clean pass, then the mixed.
   */
  regMixup?: { weight?: number };
  /**
   * PatchUp's objective, as its official code trains it (Faramarzi et al.): on mask steps (PatchUp, CutMix) the loss
   * is `ℓ(f, W) + mean_i[ρ_i·ℓ(f_i, y_a,i) + (1 − ρ_i)·ℓ(f_i, y_b,i)]`, ρ_i the unchanged fraction of example i (see
   * `patchUpTerm`). For a loss linear in its targets (all of @mmx/losses) the extra term equals ℓ(f, W): mask steps
   * count twice. Default false: ℓ(f, W) alone.
   */
  patchUpLoss?: boolean;
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
  /** How this step mixed (null: it did not). */
  kind: MixingKind | null;
}

export interface TrainStep<P = PyTree, S extends OptimizerState = OptimizerState> {
  /**
   * One step on a batch: y holds int32 labels [B] or one-hot rows [B, C]; key drives the policy; `at` (the epoch and
   * global step) is needed by a policy with an α schedule or an off epoch.
   */
  <Q extends P>(state: TrainState<Q, S>, x: Array, y: Array, key: Key, at?: Progress): StepResult<Q, S>;
  /** The first state: these params (never freed by a step) and a fresh optimizer state. */
  /**
   * The same step, resolved once its program has run: the call to use where the backend's runtime is asynchronous
   * (onnx in a browser). Keep x and y alive until it settles.
   */
  callAsync<Q extends P>(state: TrainState<Q, S>, x: Array, y: Array, key: Key, at?: Progress): Promise<StepResult<Q, S>>;
  init<Q extends P>(params: Q, modelState?: PyTree): TrainState<Q, S>;
  /** For tools (benchmarks): the program this step would run on these inputs, traced; nothing runs, nothing is freed. */
  lower<Q extends P>(state: TrainState<Q, S>, x: Array, y: Array, key: Key, at?: Progress): ClosedJaxpr;
  /** For tools: this step's per-equation timings (each equation synchronised); the state is kept, the step's results freed. */
  profile<Q extends P>(state: TrainState<Q, S>, x: Array, y: Array, key: Key, at?: Progress): StepTiming[];
  /**
   * T steps as one program: xs holds the batches stacked [T, B, ...], ys their labels [T, B] (or rows [T, B, C]),
   * keys one key per step; `at` is the first step's progress (step t is at { epoch, step + t }: a scan within one
   * epoch) or one progress per step. Step t draws with keys[t] exactly as `step(state, xs[t], ys[t], keys[t])`
   * would and takes the same step, so the result is the loop's, within float rounding. The steps run as one jitted
   * `lax.scan` (on onnx one runtime call, an ONNX Loop: the state crosses between host and runtime once per T steps
   * instead of once per step). One program serves every eligible layer: it mixes at each with its own λ, 1 (the
   * identity, exactly) but at the drawn layer, which costs the mixing's few elementwise operations at the other
   * eligible layers. Mixup and Manifold Mixup policies (λ per batch or per example, α schedules, RegMixup); CutMix,
   * PatchUp, noise and n-way mixing need `step`. Donation as for `step`. `step.scan.lower(...)` gives the program.
   */
  readonly scan: ScanSteps<P, S>;
  /** `scan`, resolved once its program has run (onnx in a browser). Keep xs and ys alive until it settles. */
  scanAsync<Q extends P>(state: TrainState<Q, S>, xs: Array, ys: Array, keys: readonly Key[], at?: ScanProgress): Promise<ScanResult<Q, S>>;
  /** How many step programs were compiled: one per (eligible layer, mixing kind) used so far, and one for clean steps (step.scan's are its own). */
  readonly programs: number;
}

/**
 * A jitted training step: the policy draws (k, how to mix, perm) on the host, then one compiled program per
 * (k, mixing kind) runs forward on the mixed batch, backward, and the optimizer update, threading batch-norm state.
 * The draw's λ, masks, weights and noise enter the program as arrays, so steps do not recompile.
 * With `donate: true` the state passed in is freed by the step, so a loop holds one copy; what the user gave `init`
 * is never freed.
 */
export function trainStep<P = PyTree, S extends OptimizerState = OptimizerState>(opts: TrainStepOptions<P, S>): TrainStep<P, S> {
  const { policy } = opts;
  const ownership = stateOwnership("trainStep", opts);
  const own = ownership.own;
  /** The model's class count (its output's last axis), learnt when the step is first traced. */
  let classes: number | undefined;
  const program = jit(stepFunction(opts, (c) => (classes = c)), { staticArgnums: [0, 1] });
  /** The model's boundaries per input shape, for policies whose masks and noise take a boundary's shape. */
  const boundaryLists = new Map<string, readonly Boundary[]>();
  const boundariesAt = (state: TrainState<P, S>, x: Array): readonly Boundary[] => {
    const id = `${x.dtype}[${x.shape.join(",")}]`;
    let list = boundaryLists.get(id);
    if (!list) boundaryLists.set(id, (list = boundaries(forwardOf(opts.model), state.params, x, state.modelState)));
    return list;
  };

  type Args = Parameters<typeof program>;
  type Out = TrainState<P, S> & { loss: Array };
  /** The policy's draw for a batch, as the program's arguments (the mixing arrays and perm are freed by `finish`). */
  const prepare = (state: TrainState<P, S>, x: Array, y: Array, key: Key, at: Progress | undefined): { args: Args; layer: BoundaryRef | null; kind: MixingKind | null } => {
    checkStepInputs(state, x, y);
    const batch = x.shape[0]!;
    if (policy?.usesProgress && at === undefined) throw new RangeError(`trainStep: the policy's ${policy.options.alphaSchedule ? "alphaSchedule" : "offEpoch"} needs the progress: call step(state, x, y, key, { epoch, step })`);
    const draw = policy ? policy.sample(key, policy.needsShapes ? boundariesAt(state, x) : batch, at) : null;
    if (draw && !draw.active) dispose(tree.leaves([draw.perm, draw.mixing]).filter((l): l is Array => l instanceof Array));
    const mixing = draw?.active ? draw.mixing : null;
    const { kind: _kind, ...fields } = mixing ?? { kind: null };
    const mixArrays = tree.map((v: number | Array) => (typeof v === "number" ? np.array(v) : v), fields) as MixingArrays;
    const perm = mixing ? draw!.perm : np.arange(batch);
    const layer = mixing ? draw!.layer : null;
    const kind = mixing ? mixing.kind : null;
    const args: Args = [layer, kind, state.params, state.opt, state.modelState, x, y, mixArrays, perm];
    if (y instanceof Array && y.ndim === 1) {
      try {
        checkHostLabels(y, () => {
          if (classes === undefined) program.lower(...args);
          return classes!;
        }, "trainStep");
      } catch (e) {
        dispose(tree.leaves([mixArrays, perm]) as Array[]);
        throw e;
      }
    }
    return { args, layer, kind };
  };
  /** Frees what `prepare` made for one call: the mixing arrays and the permutation. */
  const release = (args: Args) => dispose(tree.leaves([args[7], args[8]]) as Array[]);
  const finish = (state: TrainState<P, S>, args: Args, layer: BoundaryRef | null, kind: MixingKind | null, result: Out): StepResult<P, S> => {
    const out = own(result);
    release(args);
    ownership.stepped(state, out, args[5], args[6]);
    return { state: { params: out.params, opt: out.opt, modelState: out.modelState }, loss: out.loss, layer, kind };
  };

  const step = (<Q extends P>(state: TrainState<Q, S>, x: Array, y: Array, key: Key, at?: Progress): StepResult<Q, S> => {
    const { args, layer, kind } = prepare(state, x, y, key, at);
    return finish(state, args, layer, kind, program(...args) as Out) as StepResult<Q, S>;
  }) as TrainStep<P, S>;
  step.callAsync = async <Q extends P>(state: TrainState<Q, S>, x: Array, y: Array, key: Key, at?: Progress): Promise<StepResult<Q, S>> => {
    const { args, layer, kind } = prepare(state, x, y, key, at);
    return finish(state, args, layer, kind, (await program.callAsync(...args)) as Out) as StepResult<Q, S>;
  };
  step.lower = (state, x, y, key, at) => {
    const { args } = prepare(state, x, y, key, at);
    try {
      return program.lower(...args);
    } finally {
      release(args);
    }
  };
  step.profile = (state, x, y, key, at) => {
    const { args } = prepare(state, x, y, key, at);
    try {
      const { outputs, timings } = program.profile(...args);
      const given = new Set(tree.leaves(args));
      dispose(tree.leaves(outputs).filter((leaf) => !given.has(leaf)));
      return timings;
    } finally {
      release(args);
    }
  };
  const scanned = scanSteps(opts, ownership);
  const scan = <Q extends P>(state: TrainState<Q, S>, xs: Array, ys: Array, keys: readonly Key[], at?: ScanProgress) => scanned.run(state, xs, ys, keys, at) as ScanResult<Q, S>;
  (step as { scan: ScanSteps<P, S> }).scan = Object.assign(scan, { lower: scanned.lower });
  step.scanAsync = async <Q extends P>(state: TrainState<Q, S>, xs: Array, ys: Array, keys: readonly Key[], at?: ScanProgress) => (await scanned.runAsync(state, xs, ys, keys, at)) as ScanResult<Q, S>;
  step.init = (params, modelState = {}) => ({ params, opt: own(opts.optimizer.init(params)), modelState });
  Object.defineProperty(step, "programs", { get: () => program.cacheSize });
  return step;
}

/**
 * One training step as a pure function of (layer, kind, params, opt, modelState, x, y, mixing arrays, perm): forward
 * on the mixed batch (clean where layer or kind is null; with RegMixup the clean loss too), backward, and the
 * optimizer update, threading batch-norm state. `trainStep` jits it per (layer, kind); `trainSeeds` jits it mapped
 * over seeds. `onClasses` learns the class count.
 */
export function stepFunction<P, S extends OptimizerState>(
  opts: Pick<TrainStepOptions<P, S>, "model" | "loss" | "optimizer" | "labelSmoothing" | "regMixup" | "mixupOptions" | "patchUpLoss">,
  onClasses: (classes: number) => void,
) {
  const { loss, optimizer, mixupOptions } = opts;
  if (mixupOptions !== undefined) checkPlacement("trainStep: mixupOptions", mixupOptions);
  const { smoothing, regWeight, patchUp } = stepLossOptions(opts);
  const forward = forwardOf(opts.model);
  const cleanLoss = (p: P, x: Array, y: Array, modelState: PyTree): [Array, PyTree] => {
    const r = forward(p, x, modelState);
    const classes = r.out.shape[r.out.ndim - 1]!;
    onClasses(classes);
    const targets = smoothLabels(y.dtype === "int32" ? np.oneHot(y, classes) : y, smoothing);
    return [loss(r.out, targets), r.state];
  };
  return (layer: BoundaryRef | null, kind: MixingKind | null, params: P, opt: S, modelState: PyTree, x: Array, y: Array, mixArrays: MixingArrays, perm: Array): TrainState<P, S> & { loss: Array } => {
    const objective = (p: P): [Array, PyTree] => {
      if (layer === null || kind === null) return cleanLoss(p, x, y, modelState);
      const [clean, afterClean] = regWeight === null ? [null, modelState] : cleanLoss(p, x, y, modelState);
      const mixing = { kind, ...mixArrays } as Mixing;
      const r = mixup(layer, mixing, { ...mixupOptions, labelSmoothing: smoothing })(forward)(p, x, y, perm, afterClean);
      onClasses(r.out.shape[r.out.ndim - 1]!);
      const classes = r.out.shape[r.out.ndim - 1]!;
      const ownRows = () => smoothLabels(y.dtype === "int32" ? np.oneHot(y, classes) : y, smoothing);
      const mixedOnly = loss(r.out, r.targets);
      const mixed = patchUp && kind === "mask" ? np.add(mixedOnly, patchUpTerm(loss, r.out, ownRows(), mixArrays.mask as Array, perm)) : mixedOnly;
      return [clean === null ? mixed : np.add(clean, np.mul(mixed, regWeight!)), r.state as PyTree];
    };
    const [[value, state], grads] = valueAndGrad(objective, { hasAux: true })(params);
    // The gradient of params P is a tree like P (its number leaves, if any, become arrays).
    const { updates, state: nextOpt } = optimizer.update(grads as P, opt, params);
    return { params: applyUpdates(params, updates), opt: nextOpt, modelState: state, loss: value };
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

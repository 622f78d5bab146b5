import { dispose, jit, NDArray as Array, np, tree, vmap, type ClosedJaxpr, type PyTree } from "@mmx/core";
import type { OptimizerState } from "@mmx/optim";
import type { Key } from "@mmx/random";
import type { BoundaryRef } from "./boundaries.js";
import { checkHostLabels } from "./host-labels.js";
import type { Mixing, MixingKind } from "./mixing.js";
import type { Progress } from "./policy-options.js";
import { stateOwnership } from "./state-ownership.js";
import { stepFunction, type MixingArrays, type TrainState, type TrainStepOptions } from "./train-step.js";

export interface TrainSeedsOptions<P = PyTree, S extends OptimizerState = OptimizerState> extends TrainStepOptions<P, S> {
  /** How many seeds train at once (S >= 1): every leaf of the state carries a leading seed axis [S, ...]. */
  seeds: number;
  /**
   * One batch for every seed (x [B, ...], y [B] or [B, C]) instead of one per seed (x [S, B, ...], y [S, B] or
   * [S, B, C], the default: independent runs shuffle their data independently).
   */
  sharedBatch?: boolean;
}

export interface SeedsStepResult<P = PyTree, S extends OptimizerState = OptimizerState> {
  /** Every seed's next state, stacked on a leading seed axis. */
  state: TrainState<P, S>;
  /** Every seed's training loss, f32[S] (of the weights before the update). */
  loss: Array;
  /** Where every seed mixed this step (the first seed's draw; null: no mixing). */
  layer: BoundaryRef | null;
}

export interface TrainSeeds<P = PyTree, S extends OptimizerState = OptimizerState> {
  /**
   * One step of every seed: keys[s] drives seed s's draws (see `trainSeeds` for the streams); `at` (the epoch and
   * global step, the same for every seed) is needed by a policy with an α schedule or an off epoch.
   */
  (state: TrainState<P, S>, x: Array, y: Array, keys: readonly Key[], at?: Progress): SeedsStepResult<P, S>;
  /** The first state: each seed's params (and model state) stacked, with fresh optimizer states. */
  init(params: readonly P[], modelStates?: readonly PyTree[]): TrainState<P, S>;
  /** For tools: the program this step would run on these inputs (the seeds' vmapped step), traced; nothing runs, nothing is freed. */
  lower(state: TrainState<P, S>, x: Array, y: Array, keys: readonly Key[], at?: Progress): ClosedJaxpr;
  /** Seed s's own state, unstacked (new arrays; the stacked state is unchanged). */
  seed(state: TrainState<P, S>, s: number): TrainState<P, S>;
  /** How many programs were compiled: one per layer used so far (and one for clean steps). */
  readonly programs: number;
}

/** Leaf s of the leading axis of every leaf. */
const row = (x: Array, s: number): Array => np.squeeze(np.slice(x, [s, ...x.shape.slice(1).map(() => 0)], [1, ...x.shape.slice(1)]), 0);

/**
 * S training runs of one model as one jitted program: `trainStep`'s step mapped by `vmap` over the
 * seeds' params, optimizer states, model states (batch-norm statistics), batches, λ (or Dirichlet weights) and
 * permutations. Every option of `trainStep` that shapes the step (label smoothing, RegMixup, PatchUp's objective,
 * the placement options) applies to every seed alike.
 *
 * The random streams, for a step given keys k_0 … k_{S-1}: seed s draws `policy.sample(k_s, B, at)` exactly as
 * `trainStep` does with key k_s, and mixes with its own λ and permutation; the layer is shared, because it
 * chooses the program: every seed mixes at the layer seed 0 drew. So seed 0 takes the very steps a lone
 * `trainStep` run with its keys takes, and seed s > 0 those of a lone run whose layer draws are replaced by
 * seed 0's (for input mixup, or a single eligible layer, every seed equals its lone run). An α schedule and an
 * off epoch read the progress, the same for every seed. Masks and feature noise (CutMix, PatchUp, Noisy Feature
 * Mixup) are refused: their draws take the shape of each seed's own layer, and a mask step of one seed beside a
 * mixup step of another would ask for two programs. The initial params, data order and augmentation are the
 * caller's, per seed.
 */
export function trainSeeds<P = PyTree, S extends OptimizerState = OptimizerState>(opts: TrainSeedsOptions<P, S>): TrainSeeds<P, S> {
  const { policy, optimizer, seeds } = opts;
  if (!(Number.isInteger(seeds) && seeds >= 1)) throw new RangeError(`trainSeeds: seeds must be a positive integer, got ${String(seeds)}`);
  if (policy?.needsShapes) {
    const o = policy.options;
    const what = o.cutmix ? "cutmix" : o.patchup ? "patchup" : "noise";
    throw new TypeError(`trainSeeds: the policy's ${what} draws masks or noise per boundary shape, which seeds mixing at one layer cannot share; trainSeeds mixes by λ or Dirichlet weights: train such seeds with trainStep`);
  }
  const shared = opts.sharedBatch ?? false;
  if (typeof shared !== "boolean") throw new TypeError(`trainSeeds: sharedBatch must be true or false, got ${JSON.stringify(shared)}`);
  const ownership = stateOwnership("trainSeeds", opts);
  const own = ownership.own;
  let classes: number | undefined;
  const one = stepFunction(opts, (c) => (classes = c));
  const batchAxis = shared ? null : 0;
  const program = jit(
    (layer: BoundaryRef | null, kind: MixingKind | null, params: P, opt: S, modelState: PyTree, x: Array, y: Array, mixArrays: MixingArrays, perm: Array) =>
      vmap((p: P, o: S, m: PyTree, xs: Array, ys: Array, mx: MixingArrays, pm: Array) => one(layer, kind, p, o, m, xs, ys, mx, pm), { inAxes: [0, 0, 0, batchAxis, batchAxis, 0, 0] })(
        params,
        opt,
        modelState,
        x,
        y,
        mixArrays,
        perm,
      ) as TrainState<P, S> & { loss: Array },
    { staticArgnums: [0, 1] },
  );
  type Args = Parameters<typeof program>;

  const checkInputs = (state: TrainState<P, S>, x: unknown, y: unknown, keys: unknown): number => {
    if (typeof state !== "object" || state === null || !("params" in state) || !("opt" in state)) throw new TypeError("trainSeeds: state must be { params, opt, modelState } (from step.init(...) or a previous step)");
    if (!globalThis.Array.isArray(keys) || keys.length !== seeds) throw new RangeError(`trainSeeds: keys must list one key per seed (${seeds}), got ${globalThis.Array.isArray(keys) ? keys.length : typeof keys}`);
    const lead = shared ? 0 : 1;
    const what = shared ? "[B, ...]" : `[${seeds}, B, ...]`;
    if (!(x instanceof Array) || x.ndim <= lead) throw new TypeError(`trainSeeds: x must be an mmx Array ${what}, got ${x instanceof Array ? String(x.aval) : typeof x}`);
    if (!shared && x.shape[0] !== seeds) throw new RangeError(`trainSeeds: x has ${x.shape[0]} seeds on its first axis (${x.aval}), the step trains ${seeds}; pass sharedBatch: true for one batch for all`);
    if (!(y instanceof Array) || y.ndim <= lead || y.shape[0] !== x.shape[0] || (!shared && y.shape[1] !== x.shape[1])) {
      throw new RangeError(`trainSeeds: y must hold labels or target rows for x's ${shared ? "" : "seeds and "}examples (x is ${x.aval}), got ${y instanceof Array ? String(y.aval) : typeof y}`);
    }
    const batch = x.shape[lead]!;
    if (batch === 0) throw new RangeError("trainSeeds: the batch is empty; a step needs at least one example");
    return batch;
  };

  /** Every array of a draw: its permutation and its mixing's λ or weights. */
  const drawArrays = (d: { perm: Array; mixing: Mixing }): Array[] => tree.leaves([d.perm, d.mixing]).filter((l): l is Array => l instanceof Array);
  /** The program's arguments for one step: the seeds' draws on the host (λ or weights, permutations, the shared layer). */
  const prepare = (state: TrainState<P, S>, x: Array, y: Array, keys: readonly Key[], at: Progress | undefined): { args: Args; layer: BoundaryRef | null } => {
    const batch = checkInputs(state, x, y, keys);
    if (policy?.usesProgress && at === undefined) throw new RangeError(`trainSeeds: the policy's ${policy.options.alphaSchedule ? "alphaSchedule" : "offEpoch"} needs the progress: call step(state, x, y, keys, { epoch, step })`);
    const sampled = policy ? keys.map((k) => policy.sample(k, batch, at)) : null;
    // The progress is shared, so every seed's draw is active or none is; an inactive draw trains clean, at seed 0's layer.
    const draws = sampled && sampled[0]!.active ? sampled : null;
    if (sampled && !draws) dispose(sampled.flatMap(drawArrays));
    const kind = draws ? draws[0]!.mixing.kind : null;
    if (draws && draws.some((d) => d.mixing.kind !== kind || !d.active)) {
      dispose(draws.flatMap(drawArrays));
      throw new Error("trainSeeds: the seeds' draws differ in how they mix; a policy without masks or noise draws alike for every seed");
    }
    const layer = draws ? draws[0]!.layer : null;
    // The mixing's arrays stacked on a seed axis (a number, such as a per-batch λ, becomes a scalar first).
    const fieldsOf = ({ kind: _kind, ...fields }: Mixing) => tree.map((v: number | Array) => (typeof v === "number" ? np.array(v) : v), fields as PyTree) as MixingArrays;
    const stacked = (d: NonNullable<typeof draws>): { mixArrays: MixingArrays; perm: Array } => {
      const flat = d.map((one) => tree.flatten(fieldsOf(one.mixing)));
      const leaves = flat.map(([l]) => l as Array[]);
      const out = { mixArrays: tree.unflatten(flat[0]![1], leaves[0]!.map((_, i) => np.stack(leaves.map((l) => l[i]!)))) as MixingArrays, perm: np.stack(d.map((one) => one.perm)) };
      dispose([...leaves.flat(), ...d.map((one) => one.perm)]);
      return out;
    };
    // Clean steps: λ = 1 and the identity (the program ignores them).
    const { mixArrays, perm } = draws ? stacked(draws) : { mixArrays: { lambda: np.full([seeds], 1) }, perm: np.broadcastTo(np.reshape(np.arange(batch), [1, batch]), [seeds, batch]) };
    const args: Args = [layer, kind, state.params, state.opt, state.modelState, x, y, mixArrays, perm];
    if (y.dtype === "int32" && y.ndim === (shared ? 1 : 2)) {
      try {
        checkHostLabels(y, () => {
          if (classes === undefined) program.lower(...args);
          return classes!;
        }, "trainSeeds");
      } catch (e) {
        release(args);
        throw e;
      }
    }
    return { args, layer };
  };
  /** Frees what `prepare` made: the mixing arrays and the permutations. */
  const release = (args: Args) => dispose(tree.leaves([args[7], args[8]]) as Array[]);

  const step = ((state: TrainState<P, S>, x: Array, y: Array, keys: readonly Key[], at?: Progress): SeedsStepResult<P, S> => {
    const { args, layer } = prepare(state, x, y, keys, at);
    const out = own(program(...args) as TrainState<P, S> & { loss: Array });
    release(args);
    ownership.stepped(state, out, x, y);
    return { state: { params: out.params, opt: out.opt, modelState: out.modelState }, loss: out.loss, layer };
  }) as TrainSeeds<P, S>;
  step.lower = (state, x, y, keys, at) => {
    const { args } = prepare(state, x, y, keys, at);
    try {
      return program.lower(...args);
    } finally {
      release(args);
    }
  };

  const stack = <T>(items: readonly T[], what: string): T => {
    if (items.length !== seeds) throw new RangeError(`trainSeeds.init: ${what} lists ${items.length} entries for ${seeds} seeds`);
    const flat = items.map((t) => tree.flatten(t));
    const def = flat[0]![1];
    flat.forEach(([, d], s) => {
      if (!d.equals(def)) throw new TypeError(`trainSeeds.init: ${what}[${s}] differs in structure from ${what}[0]`);
    });
    return tree.unflatten(def, def.numLeaves === 0 ? [] : flat[0]![0].map((_, i) => np.stack(flat.map(([leaves]) => leaves[i] as Array)))) as T;
  };
  step.init = (params, modelStates) => {
    const p = own(stack(params, "params"));
    const m = modelStates ? own(stack(modelStates, "modelStates")) : {};
    const opts1 = params.map((q) => optimizer.init(q));
    const opt = own(stack(opts1, "optimizer states"));
    dispose(opts1);
    return { params: p, opt, modelState: m };
  };
  step.seed = (state, s) => {
    if (!(Number.isInteger(s) && s >= 0 && s < seeds)) throw new RangeError(`trainSeeds.seed: seed index ${s} is not in [0, ${seeds})`);
    const pick = <T>(t: T): T => tree.map((l: Array) => row(l, s), t as PyTree) as T;
    return { params: pick(state.params), opt: pick(state.opt), modelState: pick(state.modelState) };
  };
  Object.defineProperty(step, "programs", { get: () => program.cacheSize });
  return step;
}

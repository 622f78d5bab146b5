import { dispose, jit, lax, NDArray as Array, np, tree, valueAndGrad, type ClosedJaxpr, type PyTree } from "@mmx/core";
import { smoothLabels } from "@mmx/losses";
import { applyUpdates, type OptimizerState } from "@mmx/optim";
import type { Key } from "@mmx/random";
import type { BoundaryRef } from "./boundaries.js";
import { checkHostLabels } from "./host-labels.js";
import { interpolate } from "./interpolate.js";
import { mixHidden } from "./mix-hidden.js";
import { checkPlacement } from "./placement.js";
import type { MixupDraw, MixupPolicy, Progress } from "./policy.js";
import type { StateOwnership } from "./state-ownership.js";
import { stepLossOptions } from "./step-loss-options.js";
import { forwardOf } from "./trainable-model.js";
import type { TrainState, TrainStepOptions } from "./train-step.js";

export interface ScanResult<P = PyTree, S extends OptimizerState = OptimizerState> {
  /** The state after the last step. */
  state: TrainState<P, S>;
  /** Each step's training loss, f32[T] (reading it waits for the steps). */
  losses: Array;
  /** Where each step mixed, in order (null: that step trained clean). */
  layers: readonly (BoundaryRef | null)[];
}

/** `step.scan`: T steps as one program (see `TrainStep.scan`), and the program it would run, for tools. */
export interface ScanSteps<P = PyTree, S extends OptimizerState = OptimizerState> {
  <Q extends P>(state: TrainState<Q, S>, xs: Array, ys: Array, keys: readonly Key[], at?: ScanProgress): ScanResult<Q, S>;
  /** The program these T steps would run, traced; nothing runs, nothing is freed. */
  lower<Q extends P>(state: TrainState<Q, S>, xs: Array, ys: Array, keys: readonly Key[], at?: ScanProgress): ClosedJaxpr;
}

/** What the scanned program reads per step, each stacked along a leading axis of T steps. */
interface StepInputs {
  x: Array;
  y: Array;
  /** How each step mixes; absent without a policy (clean training). */
  mixing?: StepMixing;
}

interface StepMixing {
  /** One per eligible layer: its λ at each step, 1 where the step mixes elsewhere or not at all. f32[T] or [T, B]. */
  lambdas: Array[];
  /** The λ the targets are mixed with (the drawn layer's; 1 on clean steps). */
  targetLambda: Array;
  perm: Array;
  /** 1 where the step mixes, 0 where it trains clean: RegMixup counts the mixed loss on mixing steps only. */
  mixes: Array;
}

/** Where each step of a scan is: one progress for the first step (step t at { epoch, step + t }), or one per step. */
export type ScanProgress = Progress | readonly Progress[];

/**
 * T training steps as one jitted `lax.scan`: the machinery of `step.scan`. The policy draws every step on the host
 * first, with the keys `step` would get, so step t of the scan is step t of the loop. Inside one program the layer
 * must be able to change from step to step, so the program mixes at every eligible layer, each with its own λ:
 * 1 everywhere but at the drawn layer, where λ·h + (1−λ)·h[perm] with λ = 1 is h itself, bit for bit (h + 0), and so
 * is its gradient. A clean step is the same program with every λ 1.
 */
export function scanSteps<P, S extends OptimizerState>(opts: TrainStepOptions<P, S>, ownership: StateOwnership) {
  const { policy, loss, optimizer } = opts;
  const layers = policy?.layers ?? [];
  const placement = checkPlacement("trainStep: mixupOptions", opts.mixupOptions);
  const { smoothing, regWeight } = stepLossOptions(opts);
  const forward = forwardOf(opts.model);
  let classes: number | undefined;

  type Carry = [P, S, PyTree];
  const lossOf = (p: P, b: StepInputs, modelState: PyTree, m: StepMixing | null): [Array, PyTree] => {
    const atLayers = m ? layers.map((layer, j) => ({ layer, mix: (h: Array) => interpolate(h, m.lambdas[j]!, m.perm) })) : [];
    const model = atLayers.length > 0 ? mixHidden("trainStep", atLayers, placement, forward)(forward) : forward;
    const r = model(p, b.x, modelState) as { out: Array; state: PyTree };
    classes = r.out.shape[r.out.ndim - 1]!;
    const dense = smoothLabels(b.y.dtype === "int32" ? np.oneHot(b.y, classes) : b.y, smoothing);
    return [loss(r.out, m ? interpolate(dense, m.targetLambda, m.perm) : dense), r.state];
  };
  const step = ([params, opt, modelState]: Carry, b: StepInputs): [Carry, Array] => {
    const m = b.mixing ?? null;
    const objective = (p: P): [Array, PyTree] => {
      if (m === null || regWeight === null) return lossOf(p, b, modelState, m);
      // RegMixup, as trainStep: the clean pass, then the mixed one from the clean pass's model state; on a clean
      // step the mixed term counts 0 and the state is the clean pass's.
      const [clean, afterClean] = lossOf(p, b, modelState, null);
      const [mixedLoss, afterMixed] = lossOf(p, b, afterClean, m);
      const mixes = np.greater(m.mixes, 0);
      const state = tree.map((a: Array, c: Array) => np.where(mixes, a, c), afterMixed, afterClean) as PyTree;
      return [np.add(clean, np.mul(mixedLoss, np.mul(m.mixes, regWeight))), state];
    };
    const [[value, nextModelState], grads] = valueAndGrad(objective, { hasAux: true })(params);
    const { updates, state: nextOpt } = optimizer.update(grads as P, opt, params);
    return [[applyUpdates(params, updates), nextOpt, nextModelState], value];
  };
  const program = jit((params: P, opt: S, modelState: PyTree, inputs: StepInputs) => {
    const [[p, o, m], losses] = lax.scan(step, [params, opt, modelState] as Carry, inputs);
    return { params: p, opt: o, modelState: m, losses: losses as Array };
  });
  type Out = TrainState<P, S> & { losses: Array };

  /** The draws of T steps as the program's stacked inputs (freed by `release`), checked against the batch. */
  const prepare = (state: TrainState<P, S>, xs: Array, ys: Array, keys: readonly Key[], at: ScanProgress | undefined) => {
    const [steps, batch] = checkScanInputs(state, xs, ys, keys);
    const draws = policy ? drawAll(policy, keys, batch, at) : [];
    const inputs: StepInputs = { x: xs, y: ys, ...(policy ? { mixing: stackDraws(draws, layers, steps, batch) } : {}) };
    const args: [P, S, PyTree, StepInputs] = [state.params, state.opt, state.modelState, inputs];
    if (ys.ndim === 2) {
      try {
        checkHostLabels(ys, () => {
          if (classes === undefined) program.lower(...args);
          return classes!;
        }, "trainStep: step.scan");
      } catch (e) {
        release(inputs);
        throw e;
      }
    }
    return { args, layersDrawn: policy ? draws.map((d) => (d.active ? d.layer : null)) : globalThis.Array.from({ length: steps }, () => null) };
  };
  const release = ({ mixing: m }: StepInputs) => m && dispose([...m.lambdas, m.targetLambda, m.perm, m.mixes]);
  const finish = (state: TrainState<P, S>, args: [P, S, PyTree, StepInputs], layersDrawn: (BoundaryRef | null)[], result: Out): ScanResult<P, S> => {
    const out = ownership.own(result);
    release(args[3]);
    ownership.stepped(state, out, args[3].x, args[3].y);
    return { state: { params: out.params, opt: out.opt, modelState: out.modelState }, losses: out.losses, layers: layersDrawn };
  };
  return {
    run(state: TrainState<P, S>, xs: Array, ys: Array, keys: readonly Key[], at?: ScanProgress): ScanResult<P, S> {
      const { args, layersDrawn } = prepare(state, xs, ys, keys, at);
      return finish(state, args, layersDrawn, program(...args) as Out);
    },
    async runAsync(state: TrainState<P, S>, xs: Array, ys: Array, keys: readonly Key[], at?: ScanProgress): Promise<ScanResult<P, S>> {
      const { args, layersDrawn } = prepare(state, xs, ys, keys, at);
      return finish(state, args, layersDrawn, (await program.callAsync(...args)) as Out);
    },
    lower(state: TrainState<P, S>, xs: Array, ys: Array, keys: readonly Key[], at?: ScanProgress): ClosedJaxpr {
      const { args } = prepare(state, xs, ys, keys, at);
      try {
        return program.lower(...args);
      } finally {
        release(args[3]);
      }
    },
  };
}

/**
 * What of a policy `step.scan` cannot run (a phrase for an error), or undefined when it can scan every step: the
 * scanned program mixes with one λ per layer and step, so masks (CutMix, PatchUp), feature noise and n-way weights
 * need a `step` per batch.
 */
export function unscannable(policy: MixupPolicy | undefined): string | undefined {
  if (!policy) return undefined;
  const { cutmix, patchup, noise, ways } = policy.options;
  if (cutmix) return "CutMix's box";
  if (patchup) return "PatchUp's block mask";
  if (noise) return "Noisy Feature Mixup's noise";
  if (ways > 2) return `${ways}-way mixing`;
  return undefined;
}

/** Every step's draw, step t with keys[t] at its progress: only what one λ per layer can express. */
function drawAll(policy: MixupPolicy, keys: readonly Key[], batch: number, at: ScanProgress | undefined): MixupDraw[] {
  const what = unscannable(policy);
  if (what !== undefined) throw new TypeError(`trainStep: step.scan mixes with one λ per step (mixup, manifold mixup); this policy's ${what} needs step() per batch`);
  if (policy.usesProgress && at === undefined) throw new RangeError(`trainStep: the policy's ${policy.options.alphaSchedule ? "alphaSchedule" : "offEpoch"} needs the progress: call step.scan(state, xs, ys, keys, at) with the first step's { epoch, step } or one per step`);
  if (globalThis.Array.isArray(at) && at.length !== keys.length) throw new RangeError(`trainStep: step.scan's progress lists ${at.length} steps for ${keys.length} keys`);
  const progressAt = (t: number): Progress | undefined => (at === undefined ? undefined : globalThis.Array.isArray(at) ? (at as readonly Progress[])[t] : { epoch: (at as Progress).epoch, step: (at as Progress).step + t });
  const draws: MixupDraw[] = [];
  try {
    keys.forEach((key, t) => draws.push(policy.sample(key, batch, progressAt(t))));
  } catch (e) {
    disposeDraws(draws);
    throw e;
  }
  return draws;
}

function disposeDraws(draws: readonly MixupDraw[]): void {
  dispose(tree.leaves(draws.map((d) => [d.perm, d.mixing]) as never).filter((l): l is Array => l instanceof Array));
}

/** The draws as stacked program inputs; the draws' own arrays are freed. */
function stackDraws(draws: readonly MixupDraw[], layers: readonly BoundaryRef[], steps: number, batch: number): StepMixing {
  try {
    const lambdaOf = (d: MixupDraw) => (d.active && d.mixing.kind === "lerp" ? d.mixing.lambda : 1);
    const perExample = draws.some((d) => lambdaOf(d) instanceof Array && (lambdaOf(d) as Array).ndim === 1);
    const ones = perExample ? np.full([batch], 1) : null;
    const column = (pick: (d: MixupDraw) => number | Array): Array => {
      const values = draws.map(pick);
      if (!perExample) return np.array(Float32Array.from(values as number[]), { shape: [steps] });
      const rows = values.map((v) => (typeof v === "number" ? (v === 1 ? ones! : np.full([batch], v)) : v.ndim === 0 ? np.broadcastTo(v, [batch]) : v));
      const stacked = np.stack(rows);
      dispose(rows.filter((r) => r !== ones && !values.includes(r)));
      return stacked;
    };
    const layerOf = (d: MixupDraw) => (d.active ? layers.indexOf(d.layer) : -1);
    const lambdas = layers.map((_, j) => column((d) => (layerOf(d) === j ? lambdaOf(d) : 1)));
    const targetLambda = column(lambdaOf);
    ones?.dispose();
    const identity = np.arange(batch);
    const perm = np.stack(draws.map((d) => (d.active ? d.perm : identity)));
    identity.dispose();
    const mixes = np.array(Float32Array.from(draws.map((d) => (d.active ? 1 : 0))), { shape: [steps] });
    return { lambdas, targetLambda, perm, mixes };
  } finally {
    disposeDraws(draws);
  }
}

/** The scan's inputs, checked before anything is drawn or traced; gives [T, B]. */
function checkScanInputs(state: unknown, xs: unknown, ys: unknown, keys: unknown): [number, number] {
  const s = state as Partial<TrainState> | null;
  if (typeof s !== "object" || s === null || !("params" in s) || !("opt" in s)) {
    throw new TypeError(`trainStep: step.scan's state must be { params, opt, modelState } (from step.init(params) or a previous step), got ${s === null ? "null" : typeof s}`);
  }
  if (!(xs instanceof Array) || xs.ndim < 2) throw new TypeError(`trainStep: step.scan's xs must be the stacked batches [T, B, ...] (an mmx Array), got ${xs instanceof Array ? xs.aval.toString() : typeof xs}`);
  const [steps, batch] = [xs.shape[0]!, xs.shape[1]!];
  if (steps === 0 || batch === 0) throw new RangeError(`trainStep: step.scan needs at least one step of at least one example, got xs ${xs.aval}`);
  if (!(ys instanceof Array) || ys.ndim < 2 || ys.ndim > 3 || ys.shape[0] !== steps || ys.shape[1] !== batch) {
    throw new RangeError(`trainStep: step.scan's ys must be int32 labels [${steps}, ${batch}] or target rows [${steps}, ${batch}, C] for xs ${xs.aval}, got ${ys instanceof Array ? ys.aval : typeof ys}`);
  }
  if (!globalThis.Array.isArray(keys) || keys.length !== steps) {
    throw new RangeError(`trainStep: step.scan takes one key per step: ${steps} steps (xs ${xs.aval}), got ${globalThis.Array.isArray(keys) ? `${keys.length} keys` : typeof keys}`);
  }
  return [steps, batch];
}

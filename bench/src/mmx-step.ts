import { np, tree, type Array as MxArray } from "@mmx/core";
import { bceSoftmax } from "@mmx/losses";
import { inputMixup, manifoldMixup, trainStep, type BoundaryRef, type MixupPolicy } from "@mmx/mixup";
import { sgd } from "@mmx/optim";
import { foldIn, key } from "@mmx/random";
import { hostBatch, LR, MIXUP_ALPHA, MOMENTUM, type Workload } from "./workloads.js";

export type Mode = "plain" | "input" | "manifold";
export const MODES: readonly Mode[] = ["plain", "input", "manifold"];

export function policyFor(mode: Mode, eligible: readonly BoundaryRef[]): MixupPolicy | undefined {
  if (mode === "plain") return undefined;
  return mode === "input" ? inputMixup({ alpha: MIXUP_ALPHA }) : manifoldMixup({ alpha: MIXUP_ALPHA, layers: eligible });
}

/**
 * A policy that draws as `policy` does but mixes at `forced.layer` while that is set: how the bench
 * traces, compiles and profiles each layer's program of one trainStep in turn.
 */
function forcible(policy: MixupPolicy): { policy: MixupPolicy; forced: { layer?: BoundaryRef } } {
  const forced: { layer?: BoundaryRef } = {};
  const sample: MixupPolicy["sample"] = (k, batch, at) => {
    const d = policy.sample(k, batch, at);
    return forced.layer === undefined ? d : { ...d, layer: forced.layer };
  };
  return { policy: { ...policy, sample }, forced };
}

/**
 * The mmx training step of a workload: @mmx/mixup's `trainStep` (policy draws on the host, one jitted
 * program per mixing layer: forward on the mixed batch, BCE on softmax, backward, SGD with Nesterov
 * momentum, batch-norm state threaded), with its tool hooks (`lower` for the trace time, `profile`
 * for per-equation timings) run at a chosen layer.
 */
export function mmxStep(w: Workload, mode: Mode) {
  const model = w.model();
  const optimizer = sgd({ lr: LR, momentum: MOMENTUM, nesterov: true });
  const base = policyFor(mode, model.paperBoundaries);
  const forcing = base ? forcible(base) : undefined;
  const step = trainStep({ model, loss: bceSoftmax, optimizer, ...(forcing ? { policy: forcing.policy } : {}), donate: true });

  const data = hostBatch(w);
  const x = np.array(data.x, { shape: data.shape });
  const y = np.array(data.labels, { shape: [w.batch], dtype: "int32" });
  const init = model.init(key(0), [-1, ...w.exampleShape]);
  // The step frees each state it is given once the next exists, except init's arrays: dispose frees those.
  let state = step.init(init.params, init.state);

  /** Runs `fn` with the policy mixing at `layer` (null: the clean step, which only the plain mode has). */
  const at = <T>(layer: BoundaryRef | null, fn: () => T): T => {
    if (!forcing || layer === null) return fn();
    forcing.forced.layer = layer;
    try {
      return fn();
    } finally {
      delete forcing.forced.layer;
    }
  };
  const run = async (layer: BoundaryRef | null | undefined, k: ReturnType<typeof key>): Promise<number> => {
    const r = layer === undefined ? step(state, x, y, k) : at(layer, () => step(state, x, y, k));
    state = r.state;
    const loss = (await r.loss.data())[0]!;
    r.loss.dispose();
    return loss;
  };

  let i = 0;
  return {
    model,
    policy: base,
    /** The layers this mode mixes at (null: none). */
    layers: (base ? [...base.layers] : [null]) as (BoundaryRef | null)[],
    /** Traces (and caches) the program of one layer. */
    lower: (layer: BoundaryRef | null) => at(layer, () => step.lower(state, x, y, key(0))),
    /** One training step; resolves once its loss is computed (as a loop reading its loss would wait). */
    run: (): Promise<number> => run(undefined, foldIn(key(1), i++)),
    /** One step mixing at a given layer (to compile each layer's program before timing). */
    runAt: (layer: BoundaryRef | null): Promise<number> => run(layer, foldIn(key(1), i++)),
    /** Per-equation timings of one step at a given layer (each equation synchronised). */
    profile: (layer: BoundaryRef | null) => at(layer, () => step.profile(state, x, y, foldIn(key(2), i))),
    dispose() {
      const live = new Set(tree.leaves([state.params, state.opt, state.modelState, init.params, init.state, x, y]));
      live.forEach((a) => (a as MxArray).dispose());
    },
  };
}

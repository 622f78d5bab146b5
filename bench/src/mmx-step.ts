import { jit, np, tree, valueAndGrad, type Array as MxArray, type PyTree } from "@mmx/core";
import { bceSoftmax } from "@mmx/losses";
import { inputMixup, manifoldMixup, mixup, trainStep, type BoundaryRef, type MixupPolicy } from "@mmx/mixup";
import { sgd, type SgdState } from "@mmx/optim";
import type * as nn from "@mmx/nn";
import { foldIn, key, type Key } from "@mmx/random";
import { hostBatch, LR, MIXUP_ALPHA, MOMENTUM, type Workload } from "./workloads.js";

export type Mode = "plain" | "input" | "manifold";
export const MODES: readonly Mode[] = ["plain", "input", "manifold"];

interface State {
  params: PyTree;
  opt: SgdState;
  modelState: PyTree;
}

export function policyFor(mode: Mode, eligible: readonly BoundaryRef[]): MixupPolicy | undefined {
  if (mode === "plain") return undefined;
  return mode === "input" ? inputMixup({ alpha: MIXUP_ALPHA }) : manifoldMixup({ alpha: MIXUP_ALPHA, layers: eligible });
}

/**
 * The mmx training step of a workload: the program of @mmx/mixup's `trainStep` (policy draws on the
 * host, one jitted program per mixing layer: forward on the mixed batch, BCE on softmax, backward,
 * SGD with Nesterov momentum, batch-norm state threaded), written out here with the same public
 * pieces so that the bench can reach the jitted function (`lower` for the trace time, `profile` for
 * per-equation timings). `checkAgainstTrainStep` shows that it computes what trainStep computes.
 */
export function mmxStep(w: Workload, mode: Mode) {
  const model = w.model();
  const optimizer = sgd({ lr: LR, momentum: MOMENTUM, nesterov: true });
  const policy = policyFor(mode, model.paperBoundaries);
  const program = jit(
    (layer: BoundaryRef | null, params: PyTree, opt: SgdState, modelState: PyTree, x: MxArray, y: MxArray, lambda: MxArray, perm: MxArray) => {
      const forward = (p: PyTree, xb: MxArray, st: PyTree) => {
        const r = model.apply(p as nn.ParamTree, xb, { train: true, state: st });
        return { out: r.out, state: r.state };
      };
      const objective = (p: PyTree) => {
        if (layer === null) {
          const r = forward(p, x, modelState);
          return [bceSoftmax(r.out, np.oneHot(y, w.classes)), r.state];
        }
        const r = mixup(layer, lambda)(forward)(p, x, y, perm, modelState);
        return [bceSoftmax(r.out, r.targets), r.state];
      };
      const [[value, state], grads] = valueAndGrad(objective, { hasAux: true })(params);
      const updated = optimizer.update(grads, opt, params);
      return { params: updated.params, opt: updated.state, modelState: state, loss: value };
    },
    { staticArgnums: [0] },
  );

  const data = hostBatch(w);
  const x = np.array(data.x, { shape: data.shape });
  const y = np.array(data.labels, { shape: [w.batch], dtype: "int32" });
  const init = model.init(key(0), [-1, ...w.exampleShape]);
  let state: State = { params: init.params, opt: optimizer.init(init.params), modelState: init.state };

  /** The policy's draw for step i, as trainStep makes it (the caller frees lambda and perm). */
  const draw = (k: Key) => {
    const d = policy && policy.alpha > 0 ? policy.sample(k, w.batch) : null;
    const lambda = d ? (typeof d.lambda === "number" ? np.array(d.lambda) : d.lambda) : np.array(1);
    const perm = d ? d.perm : np.arange(w.batch);
    return { layer: d ? d.layer : null, lambda, perm };
  };
  const args = (d: ReturnType<typeof draw>) => [d.layer, state.params, state.opt, state.modelState, x, y, d.lambda, d.perm] as const;

  const step = async (d: ReturnType<typeof draw>): Promise<number> => {
    const out = program(...args(d)) as State & { loss: MxArray };
    d.lambda.dispose();
    d.perm.dispose();
    for (const leaf of tree.leaves([state.params, state.opt, state.modelState])) (leaf as MxArray).dispose();
    state = { params: out.params, opt: out.opt, modelState: out.modelState };
    const loss = (await out.loss.data())[0]!;
    out.loss.dispose();
    return loss;
  };

  let i = 0;
  return {
    model,
    policy,
    /** The layers this mode mixes at (null: none). */
    layers: (policy ? [...policy.layers] : [null]) as (BoundaryRef | null)[],
    /** Traces (and caches) the program of one layer. */
    lower(layer: BoundaryRef | null) {
      const d = draw(key(0));
      try {
        return program.lower(layer, state.params, state.opt, state.modelState, x, y, d.lambda, d.perm);
      } finally {
        d.lambda.dispose();
        d.perm.dispose();
      }
    },
    /** One training step; resolves once its loss is computed (as a loop reading its loss would wait). */
    run: (): Promise<number> => step(draw(foldIn(key(1), i++))),
    /** One step mixing at a given layer (to compile each layer's program before timing). */
    runAt(layer: BoundaryRef | null): Promise<number> {
      const d = draw(foldIn(key(1), i++));
      return step({ ...d, layer });
    },
    /** Per-equation timings of one step at a given layer (each equation synchronised). */
    profile(layer: BoundaryRef | null) {
      const d = draw(foldIn(key(2), i));
      const { outputs, timings } = program.profile(layer, state.params, state.opt, state.modelState, x, y, d.lambda, d.perm);
      d.lambda.dispose();
      d.perm.dispose();
      tree.leaves(outputs).forEach((a) => (a as MxArray).dispose());
      return timings;
    },
    /** The loss of one step of this program and of @mmx/mixup's trainStep from the same state and key. */
    async checkAgainstTrainStep(): Promise<{ ours: number; trainStep: number }> {
      const copy = (t: PyTree) => tree.map((a: MxArray) => np.add(a, 0), t);
      const k = foldIn(key(3), 0);
      const reference = trainStep({ model, loss: bceSoftmax, optimizer, ...(policy ? { policy } : {}) });
      const r = reference({ params: copy(state.params) as nn.ParamTree, opt: copy(state.opt) as SgdState, modelState: copy(state.modelState) }, x, y, k);
      const theirs = (await r.loss.data())[0]!;
      tree.leaves([r.state, r.loss]).forEach((a) => (a as MxArray).dispose());
      const d = draw(k);
      const out = program(...args(d));
      d.lambda.dispose();
      d.perm.dispose();
      const ours = (await (out as { loss: MxArray }).loss.data())[0]!;
      tree.leaves(out).forEach((a) => (a as MxArray).dispose());
      return { ours, trainStep: theirs };
    },
    dispose() {
      tree.leaves([state.params, state.opt, state.modelState, x, y]).forEach((a) => (a as MxArray).dispose());
      program.clearCache();
    },
  };
}

import { dispose, np, type NDArray as Array, type PyTree } from "@mmx/core";
import type { Progress, TrainState, TrainStep } from "@mmx/mixup";
import type { SgdState } from "@mmx/optim";
import type { Key } from "@mmx/random";

interface Batch {
  x: Array;
  y: Array;
}

/**
 * An epoch's batches in groups of up to `size` consecutive batches of one batch size, in order: each group trains
 * as one program call. A batch of another size (a partial last batch) starts a group of its own.
 */
export function* stepGroups<B extends Batch>(batches: Iterable<B>, size: number): Generator<B[]> {
  let group: B[] = [];
  for (const b of batches) {
    if (group.length > 0 && (group.length === size || b.x.shape[0] !== group[0]!.x.shape[0])) {
      yield group;
      group = [];
    }
    group.push(b);
  }
  if (group.length > 0) yield group;
}

/**
 * Trains one group: a lone batch through `step`, several stacked [T, B, ...] through `step.scan`, which takes the
 * same steps (step t with keys[t] at `at`.step + t). Gives the new state and each step's loss, read back; the
 * batches stay the caller's.
 */
export function trainGroup(step: TrainStep<PyTree, SgdState>, state: TrainState<PyTree, SgdState>, group: readonly Batch[], keys: readonly Key[], at: Progress): { state: TrainState<PyTree, SgdState>; losses: number[] } {
  if (group.length === 1) {
    const r = step(state, group[0]!.x, group[0]!.y, keys[0]!, at);
    const loss = r.loss.item();
    r.loss.dispose();
    return { state: r.state, losses: [loss] };
  }
  const xs = np.stack(group.map((b) => b.x));
  const ys = np.stack(group.map((b) => b.y));
  try {
    const r = step.scan(state, xs, ys, keys, at);
    const losses = [...(r.losses.dataSync() as Float32Array)];
    r.losses.dispose();
    return { state: r.state, losses };
  } finally {
    dispose([xs, ys]);
  }
}

import type { NDArray as Array, PyTree } from "@mmx/core";

/** A model as @mmx/nn makes them: `apply(params, x, { train, state }) -> { out, state }`. */
export interface TrainableModel<P = PyTree> {
  apply(params: P, x: Array, opts?: { train?: boolean; state?: PyTree }): { out: Array; state: PyTree };
}

/** The model in training mode as mixup transforms it: `(params, x, state) -> { out, state }`. */
export function forwardOf<P>(model: TrainableModel<P>) {
  return (p: P, x: Array, st: PyTree) => {
    const r = model.apply(p, x, { train: true, state: st });
    return { out: r.out, state: r.state };
  };
}

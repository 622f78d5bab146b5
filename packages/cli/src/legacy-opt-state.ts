import { Array, np, type PyTree } from "@mmx/core";

/**
 * Checkpoints written before @mmx/optim took optax's shape hold sgd's state as `{ count, momentum? }`. The
 * same numbers in today's layout, the states of sgd's parts (weight decay, momentum, learning rate):
 * `[{}, { count, momentum }, { count }]`, or `[{}, {}, { count }]` without momentum. Any other tree is
 * returned as it is (checkParamsFit then judges it).
 */
export function upgradeSgdState(opt: PyTree): PyTree {
  if (opt === null || typeof opt !== "object" || globalThis.Array.isArray(opt)) return opt;
  const { count, momentum, ...rest } = opt as { count?: unknown; momentum?: PyTree };
  if (!(count instanceof Array) || count.dtype !== "int32" || count.ndim !== 0 || Object.keys(rest).length > 0) return opt;
  // Each part keeps its own count array: a state tree never holds one array twice (it would be freed twice).
  const copy = () => np.array(count.item(), { dtype: "int32" });
  return [{}, momentum === undefined ? {} : { count: copy(), momentum }, { count }];
}

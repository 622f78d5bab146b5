/**
 * Where mixup applies its mixing at boundary k, and what the batch statistics after it see. These are
 * options of `mixup(k, λ, options)` (and of `trainStep` through `mixupOptions`).
 */
export interface PlacementOptions {
  /**
   * `"cut"` (default): every per-example value that crosses the cut after boundary k is mixed with the
   * same λ and permutation: the tagged value, and whatever else is still live there (a residual block's
   * skip path, a value the model reads again later). `"tag"`: only the tagged value is mixed (mmx's
   * behaviour before cut-point mixing). On models whose boundaries sit between layers of a chain (every
   * `@mmx/nn` sequential) the two are the same program.
   */
  at?: MixAt;
  /**
   * Which batch the batch statistics after the boundary (a batch norm's mean and variance: any reduction
   * over the examples) are computed from. `"mixed"` (default): the mixed batch, as the layers compute
   * them. `"clean"`: the unmixed batch; the model's suffix runs once more on the clean values to compute
   * them, and the mixed values are normalised with them (running statistics updated from them too).
   * `"after"`: the mixing point moves past the normalisation that follows the boundary (every equation in
   * the scope of the first batch statistic after it), so that layer normalises the clean batch.
   */
  bn?: BatchStatsPolicy;
  /**
   * Receives the one-line warning when the boundary sits between a batch statistic and its use (computed
   * before the cut, applied after it to mixed values). Once per model function and boundary. Default:
   * console.warn.
   */
  onWarning?: (message: string) => void;
}

export type MixAt = "cut" | "tag";
export type BatchStatsPolicy = "mixed" | "clean" | "after";

export interface Placement {
  readonly at: MixAt;
  readonly bn: BatchStatsPolicy;
  readonly onWarning: (message: string) => void;
}

export const MIX_AT: readonly MixAt[] = ["cut", "tag"];
export const BATCH_STATS_POLICIES: readonly BatchStatsPolicy[] = ["mixed", "clean", "after"];
const AT = MIX_AT;
const BN = BATCH_STATS_POLICIES;

export function checkPlacement(what: string, opts: PlacementOptions | undefined): Placement {
  if (opts === undefined) return { at: "cut", bn: "mixed", onWarning: defaultWarning };
  if (typeof opts !== "object" || opts === null) throw new TypeError(`${what}: options must be an object, got ${opts === null ? "null" : typeof opts}`);
  const at = opts.at ?? "cut";
  const bn = opts.bn ?? "mixed";
  if (!AT.includes(at)) throw new RangeError(`${what}: at must be ${AT.map((a) => `"${a}"`).join(" or ")}, got ${JSON.stringify(at)}`);
  if (!BN.includes(bn)) throw new RangeError(`${what}: bn must be ${BN.map((a) => `"${a}"`).join(", ")}, got ${JSON.stringify(bn)}`);
  if (opts.onWarning !== undefined && typeof opts.onWarning !== "function") throw new TypeError(`${what}: onWarning must be a function, got ${typeof opts.onWarning}`);
  return { at, bn, onWarning: opts.onWarning ?? defaultWarning };
}

function defaultWarning(message: string): void {
  console.warn(message);
}

import { checkSmoothing } from "@mmx/losses";

/** The training step's loss options, checked once and with their defaults: what every form of the step computes alike. */
export interface StepLossOptions {
  /** Label smoothing ε of the targets (0: none). */
  readonly smoothing: number;
  /** RegMixup's weight of the mixed loss beside the clean one (null: no RegMixup). */
  readonly regWeight: number | null;
  /** PatchUp's objective on mask steps. */
  readonly patchUp: boolean;
}

export function stepLossOptions(opts: { labelSmoothing?: number; regMixup?: { weight?: number }; patchUpLoss?: boolean }): StepLossOptions {
  const smoothing = checkSmoothing(opts.labelSmoothing ?? 0, "trainStep");
  const regWeight = opts.regMixup === undefined ? null : (opts.regMixup.weight ?? 1);
  if (regWeight !== null && !(typeof regWeight === "number" && Number.isFinite(regWeight) && regWeight >= 0)) throw new RangeError(`trainStep: regMixup.weight must be a finite number >= 0, got ${JSON.stringify(regWeight)}`);
  if (opts.patchUpLoss !== undefined && typeof opts.patchUpLoss !== "boolean") throw new TypeError(`trainStep: patchUpLoss must be true or false, got ${JSON.stringify(opts.patchUpLoss)}`);
  return { smoothing, regWeight, patchUp: opts.patchUpLoss ?? false };
}

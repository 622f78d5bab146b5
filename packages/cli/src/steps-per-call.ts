import { unscannable } from "@mmx/mixup";
import { methodSpec, type Method, type MixSettings } from "./methods.js";

/** The settings that decide whether a run's steps can be scanned. */
export type ScanSettings = { method: Method; stepsPerCall?: number } & Omit<MixSettings, "layers">;

/**
 * Why a run cannot train `stepsPerCall` > 1 steps per call (a one-line error naming --steps-per-call and the
 * method), or undefined when it can. The policy is built as the run's, at one layer: the layers do not decide it.
 */
export function stepsPerCallMisfit(settings: ScanSettings): string | undefined {
  const perCall = settings.stepsPerCall ?? 1;
  if (perCall === 1) return undefined;
  const policy = methodSpec(settings.method).policy({ ...settings, layers: [0] }, { totalSteps: 1 });
  const what = unscannable(policy);
  if (what === undefined) return undefined;
  const flag = policy && policy.options.ways > 2 ? ` (--ways ${policy.options.ways})` : "";
  return `--steps-per-call ${perCall} cannot train --method ${settings.method}: one scanned program mixes with one λ per step, and ${what}${flag} needs a step per batch; use --steps-per-call 1`;
}

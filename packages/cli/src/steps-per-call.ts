import type { MixupPolicy } from "@mmx/mixup";
import { methodSpec, type Method, type MixSettings } from "./methods.js";

/**
 * What of a policy `step.scan` cannot run, or undefined when it can scan every step: the scanned program mixes with
 * one λ per layer and step, so masks (CutMix, PatchUp), feature noise and n-way weights need a `step` per batch.
 */
export function unscannable(policy: MixupPolicy | undefined): string | undefined {
  if (!policy) return undefined;
  const { cutmix, patchup, noise, ways } = policy.options;
  if (cutmix) return "CutMix's box";
  if (patchup) return "PatchUp's block mask";
  if (noise) return "Noisy Feature Mixup's noise";
  if (ways > 2) return `${ways}-way mixing (--ways ${ways})`;
  return undefined;
}

/** The settings that decide whether a run's steps can be scanned. */
export type ScanSettings = { method: Method; stepsPerCall?: number } & Omit<MixSettings, "layers">;

/**
 * Why a run cannot train `stepsPerCall` > 1 steps per call (a one-line error naming --steps-per-call and the
 * method), or undefined when it can. The policy is built as the run's, at one layer: the layers do not decide it.
 */
export function stepsPerCallMisfit(settings: ScanSettings): string | undefined {
  const perCall = settings.stepsPerCall ?? 1;
  if (perCall === 1) return undefined;
  const what = unscannable(methodSpec(settings.method).policy({ ...settings, layers: [0] }, { totalSteps: 1 }));
  if (what === undefined) return undefined;
  return `--steps-per-call ${perCall} cannot train --method ${settings.method}: one scanned program mixes with one λ per step, and ${what} needs a step per batch; use --steps-per-call 1`;
}

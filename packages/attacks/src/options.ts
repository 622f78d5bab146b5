import type { AttackSettings, ClipRange, Loss, Model } from "./types.js";

/** Validation shared by the attacks: each error names the attack and the offending value. */

/** The options every sign-gradient attack takes (fgsm has no stepSize or steps). */
export interface CommonAttackOptions {
  model: Model;
  loss: Loss;
  eps: number;
  stepSize?: number;
  steps?: number;
  clip?: ClipRange;
}

/**
 * The shared options, checked in the order a reader meets them, with their defaults (clip [0, 1]):
 * model, loss, eps, then stepSize and steps for an iterative attack (fgsm: one step of size eps,
 * from x0, where the projection onto the ball changes nothing), then clip.
 */
export function checkCommonOptions(opts: CommonAttackOptions, what: AttackSettings["kind"]): Pick<AttackSettings, "eps" | "stepSize" | "steps" | "clip"> {
  if (opts === null || typeof opts !== "object") throw new TypeError(`${what}: expected an options object, got ${opts === null ? "null" : typeof opts}`);
  checkFunction(opts.model, "model", what);
  checkFunction(opts.loss, "loss", what);
  const eps = checkEps(opts.eps, what);
  const iterative = what !== "fgsm";
  const stepSize = iterative ? checkStepSize(opts.stepSize, what) : eps;
  const steps = iterative ? checkSteps(opts.steps, what) : 1;
  const clip = checkClip(opts.clip === undefined ? [0, 1] : opts.clip, what);
  return { eps, stepSize, steps, clip };
}

export function checkFunction(f: unknown, name: string, what: string): void {
  if (typeof f !== "function") throw new TypeError(`${what}: ${name} must be a function, got ${f === null ? "null" : typeof f}`);
}

function checkEps(eps: unknown, what: string): number {
  if (typeof eps !== "number" || !Number.isFinite(eps) || eps < 0) {
    throw new RangeError(`${what}: eps must be a finite number >= 0 (the L∞ radius), got ${String(eps)}`);
  }
  return eps;
}

function checkStepSize(stepSize: unknown, what: string): number {
  if (typeof stepSize !== "number" || !Number.isFinite(stepSize) || stepSize <= 0) {
    throw new RangeError(`${what}: stepSize must be a finite number > 0, got ${String(stepSize)}`);
  }
  return stepSize;
}

function checkSteps(steps: unknown, what: string): number {
  if (typeof steps !== "number" || !Number.isInteger(steps) || steps < 1) {
    throw new RangeError(`${what}: steps must be an integer >= 1, got ${String(steps)}`);
  }
  return steps;
}

function checkClip(clip: unknown, what: string): ClipRange {
  if (clip === null) return null;
  const ok = globalThis.Array.isArray(clip) && clip.length === 2 && clip.every((v) => typeof v === "number" && !Number.isNaN(v));
  if (!ok) throw new TypeError(`${what}: clip must be [lo, hi] (two numbers) or null, got ${JSON.stringify(clip)}`);
  const [lo, hi] = clip as [number, number];
  if (!(lo < hi)) throw new RangeError(`${what}: clip range [${lo}, ${hi}] is empty; it needs lo < hi`);
  return [lo, hi];
}

export function checkNorm(norm: unknown, what: string): "linf" {
  if (norm !== "linf") throw new RangeError(`${what}: norm ${JSON.stringify(norm)} is not implemented; valid norms: 'linf'`);
  return norm;
}

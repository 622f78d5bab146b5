import type { ClipRange } from "./types.js";

/** Validation shared by the attacks: each error names the attack and the offending value. */

export function checkFunction(f: unknown, name: string, what: string): void {
  if (typeof f !== "function") throw new TypeError(`${what}: ${name} must be a function, got ${f === null ? "null" : typeof f}`);
}

export function checkEps(eps: unknown, what: string): number {
  if (typeof eps !== "number" || !Number.isFinite(eps) || eps < 0) {
    throw new RangeError(`${what}: eps must be a finite number >= 0 (the L∞ radius), got ${String(eps)}`);
  }
  return eps;
}

export function checkStepSize(stepSize: unknown, what: string): number {
  if (typeof stepSize !== "number" || !Number.isFinite(stepSize) || stepSize <= 0) {
    throw new RangeError(`${what}: stepSize must be a finite number > 0, got ${String(stepSize)}`);
  }
  return stepSize;
}

export function checkSteps(steps: unknown, what: string): number {
  if (typeof steps !== "number" || !Number.isInteger(steps) || steps < 1) {
    throw new RangeError(`${what}: steps must be an integer >= 1, got ${String(steps)}`);
  }
  return steps;
}

export function checkClip(clip: unknown, what: string): ClipRange {
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

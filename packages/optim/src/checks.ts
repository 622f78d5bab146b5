/** Checks of hyperparameters: each failure names the option, the function and the value. */

/** Rejects options this optimizer does not know (a `weight_decay` would otherwise be ignored silently). */
export function checkOptionNames(options: object, known: readonly string[], what: string): void {
  if (options === null || typeof options !== "object") throw new TypeError(`${what}: expected an options object, got ${options === null ? "null" : typeof options}`);
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new TypeError(`${what}: unknown option '${key}'; the options are ${known.join(", ")}`);
  }
}

export function inRange(value: unknown, name: string, what: string, lo: number, hi: number, hiOpen: boolean): number {
  const ok = typeof value === "number" && value >= lo && (hiOpen ? value < hi : value <= hi);
  if (!ok) throw new RangeError(`${what}: ${name} must lie in [${lo}, ${hi}${hiOpen ? ")" : "]"}, got ${String(value)}`);
  return value as number;
}

export function positive(value: unknown, name: string, what: string): number {
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`${what}: ${name} must be a finite number > 0, got ${String(value)}`);
  }
  return value;
}

export function nonNegative(value: unknown, name: string, what: string): number {
  if (typeof value !== "number" || !(value >= 0) || !Number.isFinite(value)) {
    throw new RangeError(`${what}: ${name} must be a finite number >= 0, got ${String(value)}`);
  }
  return value;
}

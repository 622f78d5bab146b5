import { DeviceArray } from "@mmx/core";

/** How many states made by a non-donating step may be alive at once before it warns, unless told otherwise. */
export const LIVE_STATES_WARNING_AT = 64;

/**
 * The count that warns, from the `liveStatesWarning` option of `owner` (default 64), or null where it is false: a
 * loop that keeps many states on purpose (snapshots of an ensemble) turns the warning off or raises it.
 */
export function liveStatesThreshold(owner: string, option: unknown): number | null {
  if (option === undefined) return LIVE_STATES_WARNING_AT;
  if (option === false) return null;
  if (typeof option === "number" && Number.isInteger(option) && option >= 1) return option;
  const got = typeof option === "number" ? String(option) : JSON.stringify(option);
  throw new TypeError(`${owner}: liveStatesWarning must be a positive integer (the count of live states that warns) or false (never warn), got ${got}`);
}

/**
 * Counts the states a non-donating step made that are still alive, and warns once when they pile up: the sign of a
 * loop that never yields to the event loop, where the garbage collector cannot free old states (its finalizers run
 * between tasks), so memory grows with the step count. A state is alive while any array the step made for it is
 * neither collected nor disposed. Weak references only: counting keeps nothing alive.
 */
export class LiveStates {
  private states: WeakRef<DeviceArray>[][] = [];
  private warned = false;

  /** `owner` names the function in the warning ("trainStep", "trainSeeds"). */
  constructor(
    private readonly owner: string,
    private readonly threshold: number,
  ) {}

  /** Records one state a step made, by its arrays that were not among the step's inputs. */
  made(leaves: readonly unknown[]): void {
    if (this.warned) return;
    const refs = leaves.filter((l): l is DeviceArray => l instanceof DeviceArray).map((a) => new WeakRef(a));
    if (refs.length === 0) return;
    this.states.push(refs);
    if (this.states.length < this.threshold) return;
    this.states = this.states.filter((state) => state.some((ref) => ref.deref()?.isDisposed === false));
    if (this.states.length < this.threshold) return;
    this.warned = true;
    const alive = this.states.length;
    this.states = [];
    console.warn(
      `${this.owner}: ${alive} states made by step() are still alive; a synchronous loop frees old states only when it yields: ` +
        `pass { donate: true } to ${this.owner} so each step frees the state passed to it, ` +
        `or { liveStatesWarning: false } where the states are kept on purpose (docs/ownership.md)`,
    );
  }
}

import { DeviceArray } from "@mmx/core";

/** How many states made by a non-donating step may be alive at once before it warns. */
export const LIVE_STATES_WARNING_AT = 64;

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
    private readonly threshold = LIVE_STATES_WARNING_AT,
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
        `pass { donate: true } to ${this.owner} so each step frees the state passed to it (docs/ownership.md)`,
    );
  }
}

import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc;

/**
 * A full garbage collection, then a few turns of the event loop so that FinalizationRegistry callbacks (which run
 * between tasks, never inside synchronous code) free what it found. Works without `node --expose-gc`.
 */
export async function collectGarbage(): Promise<void> {
  if (!gc) {
    setFlagsFromString("--expose-gc");
    gc = runInNewContext("gc") as () => void;
  }
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/**
 * Collects until `done()` holds, a bounded number of rounds: the collector may take more than one pass (and a
 * finalizer more than one turn of the event loop) to reach an object, so one round can be too early.
 */
export async function collectUntil(done: () => boolean, rounds = 10): Promise<void> {
  for (let i = 0; i < rounds && !done(); i++) await collectGarbage();
}

/** The live tensor count once a collection frees nothing more (at most `rounds`): a baseline one round can set too high. */
export async function settledTensorCount(count: () => number, rounds = 10): Promise<number> {
  let last = count();
  for (let i = 0; i < rounds; i++) {
    await collectGarbage();
    const next = count();
    if (next === last) return next;
    last = next;
  }
  return last;
}

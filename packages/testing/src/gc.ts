import { memory } from "@mmx/core";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc;

/**
 * One full garbage collection, then a few turns of the event loop so that FinalizationRegistry callbacks (which run
 * between tasks, never inside synchronous code) free what it found.
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
 * Collects until `done()` holds, at most `rounds` collections: the collector may need more than one pass (and a
 * finalizer more than one turn of the event loop) to reach an object, so a single round can be too early under load.
 */
export async function collectUntil(done: () => boolean, rounds = 10): Promise<void> {
  for (let i = 0; i < rounds && !done(); i++) await collectGarbage();
}

/**
 * The live tensor count once collection has settled: collects until a round frees nothing more (at most `rounds`).
 * A baseline read after one round can be too high by an array a later round frees.
 */
export async function settledTensorCount(rounds = 10): Promise<number> {
  let count = memory().numTensors;
  for (let i = 0; i < rounds; i++) {
    await collectGarbage();
    const next = memory().numTensors;
    if (next === count) return next;
    count = next;
  }
  return count;
}

/**
 * How many tensors `run` leaves alive once everything it dropped is collected: the settled count before, then
 * collections until the count is back there (or `rounds` pass). A real leak keeps the difference above zero.
 */
export async function tensorsLeftBy<T>(run: () => T | Promise<T>, rounds = 10): Promise<{ result: T; left: number }> {
  const before = await settledTensorCount(rounds);
  const result = await run();
  await collectUntil(() => memory().numTensors <= before, rounds);
  return { result, left: memory().numTensors - before };
}

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

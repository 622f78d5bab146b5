/**
 * tfjs's own gradient tape, used only as a test oracle: the union package registers tfjs's gradients
 * (the tfjs-core entry mmx uses does not).
 */
import * as tfa from "@tensorflow/tfjs";

export { tfa };

/**
 * Runs `fn` with tfjs on its cpu backend (the one whose kernels and gradients are complete), then
 * switches tfjs back. mmx's own backend setting is untouched: only oracle code may run inside.
 */
export async function onCpu<T>(fn: () => T): Promise<T> {
  const before = tfa.getBackend();
  if (before !== "cpu") await tfa.setBackend("cpu");
  try {
    return fn();
  } finally {
    if (before !== "cpu") await tfa.setBackend(before);
  }
}

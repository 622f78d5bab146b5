import { availableBackends, getBackend, setBackend } from "@mmx/core";
import { didYouMean, listChoices, UsageError } from "./errors.js";

/** The backend training uses unless told otherwise: tfjs wasm, the fast CPU path in Node. */
export const DEFAULT_BACKEND = "wasm";

/**
 * Switches to backend `name`, one of those @mmx/core's `availableBackends()` lists (so a backend that
 * another package registers, such as onnx, is accepted once it is installed). An unknown name lists
 * every known backend; a known one that cannot run here says why and lists those that can.
 *
 * The switch is tried first and the backends are probed only to explain a failure: probing starts
 * every optional backend (the WebGPU probe opens a Dawn adapter, which prints warnings of its own).
 */
export async function useBackend(name: string): Promise<string> {
  if (getBackend() === name) return name;
  try {
    await setBackend(name);
    return name;
  } catch (e) {
    const all = await availableBackends();
    const names = all.map((b) => b.name as string);
    const usable = all.filter((b) => b.available).map((b) => b.name as string);
    const info = all.find((b) => b.name === name);
    if (!info) throw new UsageError(`unknown backend '${name}'${didYouMean(name, names)}; valid backends: ${listChoices(names)} (available here: ${listChoices(usable)})`);
    const why = info.available ? `it failed to start (${(e as Error).message})` : info.detail;
    throw new UsageError(`backend '${name}' is not available here: ${why}; available here: ${listChoices(usable)}`);
  }
}

import { availableBackends, getBackend, setBackend } from "@mmx/core";
import { didYouMean, listChoices, UsageError } from "./errors.js";

/** The backend training uses unless told otherwise: tfjs wasm, the fast CPU path in Node. */
export const DEFAULT_BACKEND = "wasm";

/**
 * Switches to backend `name`, one of those @mmx/core's `availableBackends()` lists (so a backend that
 * another package registers, such as onnx, is accepted once it is installed). An unknown name lists
 * every known backend; a known one that cannot run here says why and lists those that can.
 *
 * A backend from its own package (onnx: @mmx/onnx) is imported first, so that it registers itself.
 * The switch is tried first and the backends are probed only to explain a failure: probing starts
 * every optional backend (the WebGPU probe opens a Dawn adapter, which prints warnings of its own).
 */
export async function useBackend(name: string): Promise<string> {
  if (getBackend() === name) return name;
  const importFailure = await loadProvider(name);
  try {
    await setBackend(name);
    return name;
  } catch (e) {
    const all = await availableBackends();
    const names = all.map((b) => b.name as string);
    const usable = all.filter((b) => b.available).map((b) => b.name as string);
    const info = all.find((b) => b.name === name);
    if (!info) throw new UsageError(`unknown backend '${name}'${didYouMean(name, names)}; valid backends: ${listChoices(names)} (available here: ${listChoices(usable)})`);
    const why = (info.available ? `it failed to start (${(e as Error).message})` : info.detail) + (importFailure ? ` (importing ${PROVIDER_PACKAGES[name]} failed: ${importFailure})` : "");
    throw new UsageError(`backend '${name}' is not available here: ${why}; available here: ${listChoices(usable)}`);
  }
}

/**
 * Backends that live in their own package register themselves when that package is imported. The CLI
 * imports it on demand (it is not a dependency of @mmx/cli: a missing package is reported by
 * setBackend's own error, which says what to install).
 */
const PROVIDER_PACKAGES: Readonly<Record<string, string>> = { onnx: "@mmx/onnx" };

/** Imports the backend's package if it has one; returns why that failed, if it did. */
async function loadProvider(name: string): Promise<string | undefined> {
  const pkg = PROVIDER_PACKAGES[name];
  if (!pkg) return undefined;
  try {
    await import(pkg);
    return undefined;
  } catch (e) {
    return (e as Error).message.split("\n")[0];
  }
}

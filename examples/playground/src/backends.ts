import { availableBackends, getBackend, setBackend, setWasmPaths, type BackendInfo } from "@mmx/core";
import { env } from "@tensorflow/tfjs-core";
import plainWasm from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url";
import simdWasm from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url";
import threadedSimdWasm from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url";

// tfjs wasm picks one of its three builds at start (SIMD; threads when the page is cross-origin isolated): the
// bundler serves all three from the app's own assets. Its threaded build starts each worker from the source text of
// a function of the bundle (Function.prototype.toString), which a bundler has rewritten to use names of the bundle's
// scope that the worker lacks (the workers fail with "e is not defined"), so the page keeps tfjs wasm on one thread.
env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
setWasmPaths({ "tfjs-backend-wasm.wasm": plainWasm, "tfjs-backend-wasm-simd.wasm": simdWasm, "tfjs-backend-wasm-threaded-simd.wasm": threadedSimdWasm });

/** The backend the page starts on: wasm runs in every browser and is the quickest to a first frame. */
export const DEFAULT_BACKEND = "wasm";

let listing: Promise<BackendInfo[]> | undefined;
/** Every backend mmx knows, whether this browser runs it, and why not (asked once per page). */
export function listBackends(): Promise<BackendInfo[]> {
  listing ??= availableBackends();
  return listing;
}

export async function useBackend(name: string): Promise<void> {
  if (getBackend() !== name) await setBackend(name);
}

/** Whether this page may use SharedArrayBuffer (the threaded wasm builds need it). */
export function isolated(): boolean {
  return globalThis.crossOriginIsolated === true;
}

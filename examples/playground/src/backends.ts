import { availableBackends, getBackend, setBackend, setWasmPaths } from "@mmx/core";
import { availableOnnxProviders, PROVIDERS, setOnnxRuntimeOptions, type ProviderName } from "@mmx/onnx";
import { getThreadsCount, setThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import plainWasm from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url";
import simdWasm from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url";
import threadedSimdWasm from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url";

const query = new URLSearchParams(globalThis.location?.search ?? "");

// tfjs wasm picks one of its three builds at start (SIMD; threaded SIMD when the page is cross-origin isolated): the
// bundler serves all three from the app's own assets. The threaded build's workers need the plugin of
// ../vite-tfjs-wasm-threads.ts. Its thread count defaults to the browser's logical cores; ?wasmThreads=n sets it.
setWasmPaths({ "tfjs-backend-wasm.wasm": plainWasm, "tfjs-backend-wasm-simd.wasm": simdWasm, "tfjs-backend-wasm-threaded-simd.wasm": threadedSimdWasm });
if (query.has("wasmThreads")) setThreadsCount(Number(query.get("wasmThreads")));

/** The threads tfjs wasm runs on, once it has started (undefined before). */
export function wasmThreads(): number | undefined {
  return getBackend() === "wasm" ? getThreadsCount() : undefined;
}

// The spiral net's programs are small (a few thousand multiply-adds per layer): wasm threads cost more in
// synchronisation than they bring there, so onnxruntime-web runs them on one thread unless ?onnxThreads=n says more.
setOnnxRuntimeOptions({ threads: Number(query.get("onnxThreads") ?? 1) });

/**
 * A choice in the backend picker: an mmx backend, and for onnx one of onnxruntime-web's execution providers
 * ("onnx-wasm", "onnx-webgpu").
 */
export interface BackendChoice {
  readonly id: string;
  readonly backend: string;
  readonly provider?: ProviderName;
  readonly available: boolean;
  /** What it runs on, or why it is not available. */
  readonly detail: string;
}

/** The backend the page starts on: wasm runs in every browser and is the quickest to a first frame. */
export const DEFAULT_BACKEND = "wasm";

let listing: Promise<BackendChoice[]> | undefined;
/** Every backend mmx knows, whether this browser runs it, and why not (asked once per page). */
export function listBackends(): Promise<BackendChoice[]> {
  listing ??= (async () => {
    const out: BackendChoice[] = [];
    for (const b of await availableBackends()) {
      if (b.name !== "onnx") {
        out.push({ id: b.name, backend: b.name, available: b.available, detail: b.detail });
        continue;
      }
      for (const p of await availableOnnxProviders()) {
        out.push({ id: `onnx-${p.provider}`, backend: "onnx", provider: p.provider, available: p.available, detail: p.detail });
      }
    }
    return out;
  })();
  return listing;
}

let current = "cpu";

/** The picker's current choice. */
export function currentBackend(): string {
  return current;
}

/**
 * Switches to a choice of the picker. It does not wait for the list of backends (probing all of them takes a while:
 * onnxruntime-web and WebGPU start up), so the page can start training at once: a backend that does not run here
 * fails in setBackend with its reason.
 */
export async function useBackend(id: string): Promise<void> {
  const [backend, provider] = id.startsWith("onnx-") ? ["onnx", id.slice("onnx-".length)] : [id, undefined];
  if (id === current && getBackend() === backend) return;
  if (provider !== undefined) {
    if (!PROVIDERS.includes(provider as ProviderName)) throw new Error(`unknown backend ${JSON.stringify(id)}; the onnx ones are ${PROVIDERS.map((p) => `onnx-${p}`).join(", ")}`);
    setOnnxRuntimeOptions({ provider: provider as ProviderName });
  }
  await setBackend(backend);
  current = id;
}

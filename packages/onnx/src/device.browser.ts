/**
 * How programs run in a browser, on onnxruntime-web: its `wasm` execution provider (SIMD; threads when the page is
 * cross-origin isolated, i.e. served with COOP/COEP headers) or its `webgpu` provider (navigator.gpu). The threads
 * and the location of onnxruntime-web's .wasm files are read when its runtime starts (the first program or probe):
 * set them before.
 */
export type ProviderName = "wasm" | "webgpu";
export const PROVIDERS: readonly ProviderName[] = ["wasm", "webgpu"];

export interface OnnxRuntimeOptions {
  /** Which execution provider runs the programs (default wasm). */
  readonly provider: ProviderName;
  /** wasm threads; 0 (default): one per core, up to 4, where the page is cross-origin isolated, else 1 (threads need isolation). */
  readonly threads: number;
  /**
   * Where the page serves onnxruntime-web's `ort-wasm-simd-threaded*.wasm` and `.mjs` files (copied from
   * `onnxruntime-web/dist/`): a URL prefix ending in "/". Unset, onnxruntime-web looks beside its own script, which
   * works when a bundler copies those files (Vite does for dependencies it does not pre-bundle).
   */
  readonly wasmPaths: string | undefined;
}

let options: OnnxRuntimeOptions = { provider: "wasm", threads: 0, wasmPaths: undefined };
let started = false;

/** Called when onnxruntime-web's runtime starts: threads and wasmPaths are fixed from then on. */
export function markRuntimeStarted(): void {
  started = true;
}

export function setOnnxRuntimeOptions(next: Partial<OnnxRuntimeOptions>): void {
  if (next.provider !== undefined && !PROVIDERS.includes(next.provider)) {
    throw new TypeError(`setOnnxRuntimeOptions: provider must be ${PROVIDERS.map((p) => `'${p}'`).join(" or ")} in a browser, got ${JSON.stringify(next.provider)}`);
  }
  if (next.threads !== undefined && !(Number.isInteger(next.threads) && next.threads >= 0)) {
    throw new TypeError(`setOnnxRuntimeOptions: threads must be a non-negative integer, got ${next.threads}`);
  }
  if (next.wasmPaths !== undefined && !(typeof next.wasmPaths === "string" && next.wasmPaths.endsWith("/"))) {
    throw new TypeError(`setOnnxRuntimeOptions: wasmPaths must be a URL prefix ending in "/", got ${JSON.stringify(next.wasmPaths)}`);
  }
  const fixed = (["threads", "wasmPaths"] as const).filter((k) => next[k] !== undefined && next[k] !== options[k]);
  if (started && fixed.length > 0) {
    throw new Error(`setOnnxRuntimeOptions: ${fixed.join(" and ")} cannot change once onnxruntime-web has started (it reads them once); set them before the first program`);
  }
  options = { ...options, ...next };
}

export function onnxRuntimeOptions(): OnnxRuntimeOptions {
  return options;
}

export function isCrossOriginIsolated(): boolean {
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
}

/** The wasm threads onnxruntime-web gets: the option, else up to 4 where threads can run. */
export function wasmThreads(): number {
  if (!isCrossOriginIsolated()) return 1;
  if (options.threads > 0) return options.threads;
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
  return Math.max(1, Math.min(4, cores));
}

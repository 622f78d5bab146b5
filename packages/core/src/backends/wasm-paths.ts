import { setWasmPaths as setTfjsWasmPaths } from "@tensorflow/tfjs-backend-wasm";

/**
 * Where the page serves tfjs's wasm binaries: a URL prefix ending in "/" (the directory holding
 * `tfjs-backend-wasm.wasm`, `tfjs-backend-wasm-simd.wasm` and `tfjs-backend-wasm-threaded-simd.wasm`, copied from
 * `@tensorflow/tfjs-backend-wasm/dist/`), or a map from each of those file names to its URL. Call it before the
 * first `setBackend("wasm")` or `availableBackends()`. Node finds the files itself.
 */
export function setWasmPaths(prefixOrFileMap: string | Readonly<Record<string, string>>): void {
  if (typeof prefixOrFileMap === "string" && !prefixOrFileMap.endsWith("/")) {
    throw new TypeError(`setWasmPaths: a prefix must end with "/" (the directory holding the .wasm files), got ${JSON.stringify(prefixOrFileMap)}`);
  }
  setTfjsWasmPaths(prefixOrFileMap as string);
}

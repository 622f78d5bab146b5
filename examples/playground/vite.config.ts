import { defineConfig } from "vite";
import { tfjsWasmThreads } from "./vite-tfjs-wasm-threads.js";

/**
 * Cross-origin isolation: with these two headers the page gets SharedArrayBuffer, which the threaded wasm builds
 * (tfjs wasm's threaded SIMD build, onnxruntime-web's wasm threads) need. Any host that serves the static build must
 * send them too (see README.md).
 */
export const ISOLATION_HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
} as const;

export default defineConfig({
  // Relative asset URLs: the static build works from any path on any host.
  base: "./",
  resolve: {
    // The packages' browser entries, from their TypeScript sources as the tests use them: no package build needed.
    conditions: ["@mmx/source", "browser", "module", "import", "default"],
  },
  // tfjs wasm's threaded build (used when the page is cross-origin isolated) needs its factory's source intact.
  plugins: [tfjsWasmThreads()],
  optimizeDeps: { rolldownOptions: { plugins: [tfjsWasmThreads()] } },
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  build: { target: "es2022", chunkSizeWarningLimit: 4096 },
  worker: { format: "es" },
});

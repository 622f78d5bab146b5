import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

/**
 * Cross-origin isolation: with these two headers the page gets SharedArrayBuffer, which the threaded wasm builds
 * (tfjs wasm's threaded SIMD build, onnxruntime-web's wasm threads) need. Any host that serves the static build must
 * send them too (see README.md).
 */
export const ISOLATION_HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
} as const;

// Until the library packages ship browser entry points, their Node-only modules (file caches, the Dawn loader)
// resolve to a stub that throws if called: the playground never calls them.
const nodeStub = fileURLToPath(new URL("./src/node-stub.ts", import.meta.url));

export default defineConfig({
  // Relative asset URLs: the static build works from any path on any host.
  base: "./",
  resolve: {
    // The workspace packages' TypeScript sources, as the tests use them: no package build needed.
    conditions: ["@mmx/source", "browser", "module", "import", "default"],
    alias: [{ find: /^node:.*$/, replacement: nodeStub }],
  },
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  build: { target: "es2022", chunkSizeWarningLimit: 4096 },
  worker: { format: "es" },
});

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Plugin } from "vite";

/**
 * tfjs wasm's threaded build starts each of its workers from the source text of its Emscripten factory
 * (`wasmFactoryThreadedSimd.toString()` in backend_wasm.js). A bundler rewrites that function (minified, or wrapped
 * as a CommonJS module), so the text names variables of the bundle's scope that the worker lacks, and every worker
 * fails ("e is not defined"). This plugin puts the factory's published file, untouched, in place of that text; the
 * page's own copy of the factory is bundled as usual. Used for the build and for the dev server's pre-bundling.
 */
export function tfjsWasmThreads(): Plugin {
  const require = createRequire(import.meta.url);
  const factoryFile = require.resolve("@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js");
  // The file declares `var WasmBackendModuleThreadedSimd = ...` (and exports it where a module system exists, which a
  // worker has not): as an expression, it is that variable's value.
  const source = `(function () {\n${readFileSync(factoryFile, "utf8")}\nreturn WasmBackendModuleThreadedSimd;\n})()`;
  const CALL = "wasmFactoryThreadedSimd.toString()";
  return {
    name: "mmx:tfjs-wasm-threads",
    transform(code, id) {
      if (!/[\\/]@tensorflow[\\/]tfjs-backend-wasm[\\/]dist[\\/]backend_wasm\.js$/.test(id)) return null;
      if (!code.includes(CALL)) {
        this.error(`tfjs-wasm-threads: ${id} no longer calls ${CALL}; this plugin does not fit this @tensorflow/tfjs-backend-wasm version`);
      }
      return { code: code.replace(CALL, JSON.stringify(source)), map: null };
    },
  };
}

import { defineConfig } from "vitest/config";

// Tests import sibling packages through the "@mmx/source" export condition, so they run against
// the TypeScript sources and need no build step.
const conditions = ["@mmx/source", "import", "module", "node", "default"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ["@mmx/source"] } },
  test: {
    include: ["packages/*/src/**/*.test.ts", "examples/*/**/*.test.ts", "scripts/*.test.ts", "bench/src/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // MMX_FC_SEED fixes fast-check's seed (CI sets it); see the file.
    setupFiles: ["scripts/fast-check-seed.setup.ts"],
  },
});

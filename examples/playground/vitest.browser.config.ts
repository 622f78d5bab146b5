import { defineConfig } from "vitest/config";

// The playground's browser tests: Chromium through playwright-core (`npm run test:browser` at the root).
export default defineConfig({
  test: {
    root: new URL(".", import.meta.url).pathname,
    include: ["test/**/*.browser.ts"],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: "forks",
  },
});

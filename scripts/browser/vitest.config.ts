import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// The browser suite (npm run test:browser): builds a test page, serves it and drives Chromium; and the playground's
// browser test (its production build in Chromium). Kept out of the
// default `npm test`, whose Node suites it does not repeat; .ci/run installs Chromium and runs it.
const conditions = ["@mmx/source", "import", "module", "node", "default"];

export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)),
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ["@mmx/source"] } },
  test: {
    include: ["scripts/browser/**/*.test.ts", "examples/playground/test/**/*.browser.ts"],
    testTimeout: 600_000,
    hookTimeout: 300_000,
    pool: "forks",
  },
});

/**
 * Regenerates docs/spirals.png, the README's picture: the production build in Chromium, the spirals tab trained for
 * `--steps` steps (default 2,000) on the default backend, a full-page screenshot once every model has finished.
 *
 *   npm run screenshot -w @mmx/example-playground [-- --steps 2000]
 */
import { join } from "node:path";
import { chromiumMissing, launchChromium } from "./chromium.js";
import { ROOT, serveProductionBuild } from "./serve.js";

const arg = process.argv.indexOf("--steps");
const steps = arg >= 0 ? Number(process.argv[arg + 1]) : 2000;
if (!(Number.isInteger(steps) && steps >= 1)) {
  console.error(`screenshot: --steps must be a positive whole number, got ${process.argv[arg + 1] ?? "nothing"}`);
  process.exit(2);
}
const missing = chromiumMissing();
if (missing) {
  console.error(`screenshot: ${missing}`);
  process.exit(2);
}

const server = await serveProductionBuild();
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  await page.goto(`${server.url}?steps=${steps}`);
  const started = performance.now();
  await page.waitForFunction(() => window.mmxPlayground?.status().spirals.done === true, undefined, { timeout: 0, polling: 1000 });
  const file = join(ROOT, "docs", "spirals.png");
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot: ${steps} steps in ${((performance.now() - started) / 1000).toFixed(0)} s; wrote ${file}`);
} finally {
  await browser.close();
  await server.close();
}

#!/usr/bin/env node
// Runs the browser suite once and prints its report: `node scripts/browser/run-suite.mjs [--steps N] [--runs R]`.
// (The test file browser.test.ts does the same and asserts on it.)
import { join } from "node:path";
import { buildPage, findChromium, removeDir, root, runInChromium, startServer } from "./harness.mjs";

export async function runSuite({ steps = 30, runs = 3, targets, screenshot, onLog } = {}) {
  const chromium = findChromium();
  if (!chromium.path) return { skipped: chromium.reason };
  const dir = await buildPage(join(root, "scripts/browser/page/suite.ts"));
  const server = await startServer(dir);
  try {
    return await runInChromium(chromium.path, `${server.url}?steps=${steps}&runs=${runs}${targets ? `&targets=${targets.join(",")}` : ""}`, { screenshot, onLog });
  } finally {
    await server.close();
    removeDir(dir);
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop())) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const out = await runSuite({ steps: arg("--steps", 30), runs: arg("--runs", 3), onLog: process.env.MMX_BROWSER_LOG ? console.log : undefined });
  console.log(JSON.stringify(out, null, 2));
}

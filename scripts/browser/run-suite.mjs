#!/usr/bin/env node
// Runs the browser suite once and prints its report: `node scripts/browser/run-suite.mjs [--steps N] [--runs R]`.
// (The test file browser.test.ts does the same and asserts on it.)
import { join } from "node:path";
import { buildPage, findChromium, removeDir, root, runInChromium, startServer } from "./harness.mjs";

/** The labels of page/targets.ts's TARGETS, in its order. */
const TARGET_LABELS = ["wasm", "webgl", "webgpu", "onnx-wasm", "onnx-webgpu"];

export async function runSuite({ steps = 30, runs = 3, targets, screenshot, onLog } = {}) {
  const chromium = findChromium();
  if (!chromium.path) return { skipped: chromium.reason };
  const dir = await buildPage(join(root, "scripts/browser/page/suite.ts"));
  const server = await startServer(dir);
  try {
    // One page per backend: a backend's crash or leftover GPU memory cannot take the others down with it (all five in
    // one page exhausted SwiftShader's memory and crashed the page at onnx-webgpu, each passing alone).
    let merged;
    for (const target of targets ?? TARGET_LABELS) {
      const url = `${server.url}?steps=${steps}&runs=${runs}&targets=${target}`;
      const out = await runInChromium(chromium.path, url, { screenshot: target === "wasm" ? screenshot : undefined, onLog });
      if (!merged) merged = out;
      else {
        merged.result.reports.push(...out.result.reports);
        merged.consoleErrors.push(...out.consoleErrors);
      }
    }
    return merged;
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

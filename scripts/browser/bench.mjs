#!/usr/bin/env node
// npm run bench:browser [-- --mlp 784,512,512,10 --mlpBatch 128 --cnnBatch 64 --warmup 3 --steps 10]
//
// The manifold-mixup training steps of page/workloads.ts (an MLP and the small CNN) in Chromium on every backend it
// has (tfjs wasm, webgl, webgpu; onnxruntime-web on wasm and WebGPU), beside the same steps in Node on onnxruntime-node
// and tfjs wasm, measured in the same run; median milliseconds per step. The page is cross-origin isolated (wasm
// threads); `--no-isolation` serves it without COOP/COEP, to see the one-thread figures.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { buildPage, findChromium, removeDir, root, runInChromium, startServer } from "./harness.mjs";

const args = process.argv.slice(2);
const SIZE_FLAGS = ["mlp", "mlpBatch", "cnnBatch", "warmup", "steps"];
const sizeArgs = [];
for (const name of SIZE_FLAGS) {
  const i = args.indexOf(`--${name}`);
  if (i >= 0) {
    if (args[i + 1] === undefined) throw new Error(`bench:browser: --${name} needs a value`);
    sizeArgs.push([name, args[i + 1]]);
  }
}
for (const a of args) {
  if (a.startsWith("--") && !SIZE_FLAGS.includes(a.slice(2)) && a !== "--no-isolation") {
    console.error(`bench:browser: unknown flag ${a}; flags: ${SIZE_FLAGS.map((f) => `--${f}`).join(", ")}, --no-isolation`);
    process.exit(2);
  }
}

/** The Node side: page/bench-node.ts bundled for Node (workspace packages from source, npm packages as installed). */
async function nodeRows() {
  // Inside the repository (its git-ignored .cache), so that the bundle's npm imports resolve from its node_modules.
  mkdirSync(join(root, ".cache"), { recursive: true });
  const dir = mkdtempSync(join(root, ".cache", "bench-node-"));
  try {
    const file = join(dir, "bench-node.mjs");
    await build({
      entryPoints: [join(root, "scripts/browser/page/bench-node.ts")],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      conditions: ["@mmx/source"],
      outfile: file,
      logLevel: "error",
      absWorkingDir: root,
      // npm packages stay imports (native addons, wasm files found beside their scripts); @mmx/* come from source.
      plugins: [{ name: "npm-external", setup: (b) => b.onResolve({ filter: /^[^./]/ }, (a) => (a.path.startsWith("@mmx/") ? undefined : { path: a.path, external: true })) }],
    });
    const out = execFileSync(process.execPath, [file, ...sizeArgs.flatMap(([n, v]) => [`--${n}`, v])], { cwd: root, encoding: "utf8" });
    return JSON.parse(out.trim().split("\n").pop()).rows;
  } finally {
    removeDir(dir);
  }
}

async function browserRows() {
  const chromium = findChromium();
  if (!chromium.path) return { skipped: chromium.reason };
  const dir = await buildPage(join(root, "scripts/browser/page/bench.ts"), "mmx browser benchmark");
  const server = await startServer(dir, { isolate: !args.includes("--no-isolation") });
  try {
    const query = sizeArgs.map(([n, v]) => `${n}=${encodeURIComponent(v)}`).join("&");
    const { result, version } = await runInChromium(chromium.path, `${server.url}?${query}`, { timeoutMs: 590_000 });
    if (!result.ok) throw new Error(`the benchmark page failed: ${result.error}`);
    return { version, isolated: result.crossOriginIsolated, rows: result.rows };
  } finally {
    await server.close();
    removeDir(dir);
  }
}

const node = await nodeRows();
const browser = await browserRows();
const rows = [...node, ...(browser.rows ?? []).map((r) => ({ ...r, target: `chromium ${r.target}` }))];
const workloads = [...new Set(rows.flatMap((r) => (r.times ?? []).map((t) => t.workload)))];
console.log(`ms per manifold-mixup training step (median of the timed steps)${browser.version ? `; Chromium ${browser.version}, cross-origin isolated: ${browser.isolated}` : ""}`);
if (browser.skipped) console.log(`browser skipped: ${browser.skipped}`);
const width = Math.max(...rows.map((r) => r.target.length));
console.log(`${"backend".padEnd(width)}  ${workloads.map((w) => w.padStart(Math.max(12, w.length))).join("  ")}`);
for (const r of rows) {
  const cells = r.times ? workloads.map((w) => (r.times.find((t) => t.workload === w)?.ms.toFixed(2) ?? "-").padStart(Math.max(12, w.length))).join("  ") : r.skipped ? `skipped: ${r.skipped}` : `failed: ${r.error}`;
  console.log(`${r.target.padEnd(width)}  ${cells}`);
}
for (const r of rows) if (r.detail) console.log(`  ${r.target}: ${r.detail}`);

#!/usr/bin/env node
// npm run bench:web-gemm [-- --reps 20 --warmup 5 --threads 1 --builds plain,jsep] [--liftoff]
//
// The GEMMs of the MLP 784-512-512-10 b128 training step one at a time in Chromium (page/web-gemm.ts): onnxruntime-web's
// Gemm in each form the lowering could emit (transposed operands, a C input, MatMul) on its plain and its default
// (JSEP) wasm builds, beside tfjs wasm's matMul, interleaved in one page; GFLOP/s from the fastest and the median run,
// and the first runs of a fresh page. `--liftoff` runs Chromium with V8's baseline wasm compiler only (no optimising
// tier): the rate a kernel has until V8 has optimised it.
import { join } from "node:path";
import { buildPage, CHROMIUM_ARGS, findChromium, removeDir, root, runInChromium, startServer } from "./harness.mjs";

const args = process.argv.slice(2);
const FLAGS = ["reps", "warmup", "threads", "builds"];
const query = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "--liftoff") continue;
  const name = a.startsWith("--") ? a.slice(2) : undefined;
  if (!name || !FLAGS.includes(name) || args[i + 1] === undefined) {
    console.error(`bench:web-gemm: unknown flag or missing value at ${a}; flags: ${FLAGS.map((f) => `--${f} <value>`).join(", ")}, --liftoff`);
    process.exit(2);
  }
  query.push(`${name}=${encodeURIComponent(args[++i])}`);
}
const chromium = findChromium();
if (!chromium.path) {
  console.log(`bench:web-gemm skipped: ${chromium.reason}`);
  process.exit(0);
}
const liftoff = args.includes("--liftoff");
if (liftoff) CHROMIUM_ARGS.push("--js-flags=--liftoff-only");
const dir = await buildPage(join(root, "scripts/browser/page/web-gemm.ts"), "mmx web-gemm");
const server = await startServer(dir);
try {
  const out = await runInChromium(chromium.path, `${server.url}?${query.join("&")}`, { timeoutMs: 590_000 });
  const r = out.result;
  if (!r.ok) throw new Error(`the web-gemm page failed: ${r.error}`);
  console.log(`Chromium ${out.version}${liftoff ? " (--js-flags=--liftoff-only)" : ""}, ${r.threads} wasm thread(s), cross-origin isolated: ${r.crossOriginIsolated}; ${r.reps} interleaved runs per case`);
  console.log("GFLOP/s (best run, median run) and ms (best run)");
  const width = Math.max(...r.rows.map((x) => x.label.length));
  for (const x of r.rows) console.log(`${x.label.padEnd(width)}  ${x.variant.padEnd(24)} ${x.gflopsBest.toFixed(1).padStart(6)} ${x.gflopsMedian.toFixed(1).padStart(6)}  ${x.minMs.toFixed(2).padStart(7)} ms`);
  console.log(`first five runs of a fresh session (${r.firstCase}), ms:`);
  for (const [variant, times] of Object.entries(r.firstRuns)) console.log(`  ${variant}: ${times.map((t) => t.toFixed(1)).join(", ")}`);
} finally {
  await server.close();
  removeDir(dir);
}

#!/usr/bin/env node
// npm run bench:browser [-- --mlp 784,512,512,10 --mlpBatch 128 --cnnBatch 64 --warmup 10 --steps 10 --scan 8]
//                        [--targets wasm,onnx-wasm] [--no-node] [--no-isolation] [--interleave] [--liftoff]
//
// The manifold-mixup training steps of page/workloads.ts (an MLP and the small CNN) in Chromium on every backend it
// has (tfjs wasm, webgl, webgpu; onnxruntime-web on wasm, on one thread and threaded, and on WebGPU), beside the same
// steps in Node on onnxruntime-node and tfjs wasm, measured in the same run; median milliseconds per step, then the
// onnx-wasm steps as ratios of tfjs wasm's in the same browser (the targets of issue 16: <= 1.0 on one thread, <= 0.6
// threaded). Each backend runs in a page of its own, served cross-origin isolated (wasm threads); `--no-isolation`
// serves them without COOP/COEP, to see the one-thread figures. Progress goes to stderr as each step time is measured.
// `--interleave`: all the browser runs' pages open at once in one Chromium, each workload warmed up in each, and their
// steps timed in turn (per round, each page runs an untimed step and a timed one, the order rotating), so that a shared
// machine's changing load falls on every backend alike; it prints the wall time and Chromium's CPU time per timed
// step, and the ratios per round. `--liftoff` runs Chromium with V8's baseline wasm compiler only (no optimising tier):
// the speed of a step whose wasm V8 has not yet optimised. Node's steps are not run with `--interleave`.
// `--scan K`: each model also runs as trainStep's `step.scan` of K steps per program run (on onnx one runtime call for
// K steps), timed per training step, beside the step-by-step rows.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { buildPage, CHROMIUM_ARGS, findChromium, openPages, removeDir, root, runInChromium, startServer } from "./harness.mjs";

const args = process.argv.slice(2);
const SIZE_FLAGS = ["mlp", "mlpBatch", "cnnBatch", "warmup", "steps", "scan"];
const sizeArgs = [];
for (const name of SIZE_FLAGS) {
  const i = args.indexOf(`--${name}`);
  if (i >= 0) {
    if (args[i + 1] === undefined) throw new Error(`bench:browser: --${name} needs a value`);
    sizeArgs.push([name, args[i + 1]]);
  }
}
const SWITCHES = ["--no-isolation", "--no-node", "--interleave", "--liftoff"];
for (const a of args) {
  if (a.startsWith("--") && !SIZE_FLAGS.includes(a.slice(2)) && a !== "--targets" && !SWITCHES.includes(a)) {
    console.error(`bench:browser: unknown flag ${a}; flags: ${SIZE_FLAGS.map((f) => `--${f}`).join(", ")}, --targets, ${SWITCHES.join(", ")}`);
    process.exit(2);
  }
}
/** `--targets a,b`: only the browser runs whose label starts with one of them (onnx-wasm: both of its runs). */
const targetsAt = args.indexOf("--targets");
const only = targetsAt >= 0 ? args[targetsAt + 1]?.split(",") : undefined;
if (targetsAt >= 0 && !only?.[0]) {
  console.error("bench:browser: --targets needs a comma-separated list (wasm, webgl, webgpu, onnx-wasm, onnx-webgpu)");
  process.exit(2);
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
    progress("node onnx and wasm: starting");
    const out = execFileSync(process.execPath, [file, ...sizeArgs.flatMap(([n, v]) => [`--${n}`, v])], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    return JSON.parse(out.trim().split("\n").pop()).rows;
  } finally {
    removeDir(dir);
  }
}

/**
 * The browser's runs, one page each: a backend's crash or leftover memory cannot touch the next. onnx-wasm runs
 * twice, on one thread and with onnxruntime-web's default threads (where the page is isolated).
 */
function browserRuns(isolated) {
  const runs = [
    { label: "wasm", query: "targets=wasm" },
    { label: "webgl", query: "targets=webgl" },
    { label: "webgpu", query: "targets=webgpu" },
    { label: "onnx-wasm 1 thread", query: "targets=onnx-wasm&onnxThreads=1" },
    ...(isolated ? [{ label: "onnx-wasm threaded", query: "targets=onnx-wasm&onnxThreads=0" }] : []),
    { label: "onnx-webgpu", query: "targets=onnx-webgpu" },
  ];
  return runs.filter((r) => !only || only.some((o) => r.label === o || r.label.startsWith(`${o} `)));
}

async function browserRows() {
  const chromium = findChromium();
  if (!chromium.path) return { skipped: chromium.reason };
  const isolate = !args.includes("--no-isolation");
  const dir = await buildPage(join(root, "scripts/browser/page/bench.ts"), "mmx browser benchmark");
  const server = await startServer(dir, { isolate });
  try {
    const sizeQuery = sizeArgs.map(([n, v]) => `&${n}=${encodeURIComponent(v)}`).join("");
    const rows = [];
    let version;
    let isolated;
    for (const run of browserRuns(isolate)) {
      progress(`chromium ${run.label}: starting`);
      const onLog = (line) => line.includes("] bench: ") && progress(`chromium ${run.label}: ${line.slice(line.indexOf("] bench: ") + 9).split(": ").slice(1).join(": ")}`);
      const out = await runInChromium(chromium.path, `${server.url}?${run.query}${sizeQuery}`, { timeoutMs: 590_000, onLog });
      if (!out.result.ok) throw new Error(`the benchmark page failed on ${run.label}: ${out.result.error}`);
      version = out.version;
      isolated = out.result.crossOriginIsolated;
      rows.push(...out.result.rows.map((r) => ({ ...r, target: run.label })));
    }
    return { version, isolated, rows };
  } finally {
    await server.close();
    removeDir(dir);
  }
}

/** `--interleave`: per workload, one page per browser run, stepped in turn; wall and CPU milliseconds per step. */
async function interleavedRows() {
  const chromium = findChromium();
  if (!chromium.path) return { skipped: chromium.reason };
  const isolate = !args.includes("--no-isolation");
  const sizes = Object.fromEntries(sizeArgs);
  const steps = Number(sizes.steps ?? 10);
  // workloadBuilders' order: per model, step by step, then (with --scan) scanned.
  const perModel = Number(sizes.scan ?? 0) > 0 ? 2 : 1;
  const workloads = Array.from({ length: (Number(sizes.cnnBatch ?? 64) > 0 ? 2 : 1) * perModel }, (_, w) => w);
  const dir = await buildPage(join(root, "scripts/browser/page/bench.ts"), "mmx browser benchmark");
  const server = await startServer(dir, { isolate });
  const sizeQuery = sizeArgs.map(([n, v]) => `&${n}=${encodeURIComponent(v)}`).join("");
  const out = [];
  let version;
  let isolated;
  try {
    for (const w of workloads) {
      // A scanned workload's pages run beside tfjs wasm's step-by-step page, its baseline in the same rounds.
      const scanned = perModel === 2 && w % 2 === 1;
      const runs = [...browserRuns(isolate).map((r) => ({ ...r, w })), ...(scanned ? [{ label: STEP_BY_STEP_WASM, query: "targets=wasm", w: w - 1 }] : [])];
      progress(`interleaved workload ${w}: preparing ${runs.map((r) => r.label).join(", ")}`);
      const session = await openPages(chromium.path, runs.map((r) => `${server.url}?${r.query}&interleave=${r.w}${sizeQuery}`));
      try {
        version = session.version;
        isolated = session.results.every((res) => res.crossOriginIsolated === true);
        const live = [];
        session.results.forEach((res, i) => {
          if (!res.ok) throw new Error(`the benchmark page failed on ${runs[i].label}: ${res.error}`);
          if (res.skipped) out.push({ workload: res.workload, target: runs[i].label, skipped: res.skipped });
          else live.push({ i, session: w, target: runs[i].label, detail: res.detail, workload: res.workload, warmupMs: res.warmupMs, stepsPerCall: res.stepsPerCall ?? 1, wall: [], cpu: [] });
        });
        for (let round = 0; round < steps && live.length > 0; round++) {
          for (let k = 0; k < live.length; k++) {
            const r = live[(round + k) % live.length];
            const { wall, cpu } = await session.step(r.i);
            r.wall.push(wall);
            if (cpu !== undefined) r.cpu.push(cpu / r.stepsPerCall);
          }
          progress(`interleaved ${live[0].workload}: round ${round + 1}/${steps}: ${live.map((r) => `${r.target} ${r.wall.at(-1).toFixed(1)} ms`).join(", ")}`);
        }
        out.push(...live);
      } finally {
        await session.close();
      }
    }
  } finally {
    await server.close();
    removeDir(dir);
  }
  return { version, isolated, rows: out };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function printInterleaved(res) {
  if (res.skipped) {
    console.log(`browser skipped: ${res.skipped}`);
    return;
  }
  console.log(`interleaved in one Chromium ${res.version} (cross-origin isolated: ${res.isolated}): ms per manifold-mixup training step, wall time (median, min) and Chromium's CPU time (median, all threads)`);
  const width = Math.max(...res.rows.map((r) => r.target.length));
  for (const r of res.rows) {
    if (r.skipped) console.log(`${r.workload}: ${r.target.padEnd(width)}  skipped: ${r.skipped}`);
    else console.log(`${r.workload}: ${r.target.padEnd(width)}  wall ${median(r.wall).toFixed(2).padStart(8)} ${Math.min(...r.wall).toFixed(2).padStart(8)}  cpu ${r.cpu.length ? median(r.cpu).toFixed(2).padStart(8) : "-"}`);
  }
  for (const r of res.rows) if (r.detail) console.log(`  ${r.target}: ${r.detail}`);
  for (const r of res.rows) if (r.warmupMs) console.log(`  ${r.workload}: ${r.target}: warm-up steps, ms: ${r.warmupMs.map((t) => t.toFixed(0)).join(" ")}`);
  // Each base is tfjs wasm in the same session (so the same rounds): the same workload, and for a scanned
  // workload also tfjs wasm step by step.
  const bases = res.rows.filter((r) => r.wall && (r.target === "wasm" || r.target === STEP_BY_STEP_WASM));
  for (const base of bases) {
    for (const [label, target] of TARGETS) {
      const r = res.rows.find((x) => x.session === base.session && x.target === label && x.wall);
      if (!r) continue;
      // The ratio of each round's two steps, then their median: both steps of a round saw about the same load.
      const wall = median(r.wall.map((t, i) => t / base.wall[i]));
      const cpu = r.cpu.length === base.cpu.length && r.cpu.length ? median(r.cpu.map((t, i) => t / base.cpu[i])) : undefined;
      console.log(`${r.workload}: chromium ${label} / chromium ${base.target === STEP_BY_STEP_WASM ? STEP_BY_STEP_WASM : `wasm${r.stepsPerCall > 1 ? " scanned" : ""}`}, median of per-round ratios: wall ${wall.toFixed(3)} (target <= ${target.toFixed(1)}: ${wall <= target ? "met" : "missed"})${cpu === undefined ? "" : `, cpu ${cpu.toFixed(3)}`}`);
    }
  }
}

const STEP_BY_STEP_WASM = "wasm step by step";

function progress(line) {
  console.error(`bench:browser: ${line}`);
}

const TARGETS = [
  ["onnx-wasm 1 thread", 1.0],
  ["onnx-wasm threaded", 0.6],
];
if (args.includes("--liftoff")) CHROMIUM_ARGS.push("--js-flags=--liftoff-only");
if (args.includes("--interleave")) {
  printInterleaved(await interleavedRows());
  process.exit(0);
}
const node = args.includes("--no-node") ? [] : await nodeRows();
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
const ms = (label, workload) => browser.rows?.find((r) => r.target === label)?.times?.find((t) => t.workload === workload)?.ms;
for (const w of workloads) {
  const base = ms("wasm", w);
  if (base === undefined) continue;
  for (const [label, target] of TARGETS) {
    const t = ms(label, w);
    if (t !== undefined) console.log(`${w}: chromium ${label} / chromium wasm = ${(t / base).toFixed(2)} (target <= ${target.toFixed(1)}: ${t / base <= target ? "met" : "missed"})`);
  }
}

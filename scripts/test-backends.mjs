#!/usr/bin/env node
// The cross-backend matrix: the primitive/VJP checks, the webgpu backend's own tests and the mixup interpolation
// invariants, over every backend MMX_BACKENDS lists (default cpu,wasm). onnx runs jitted programs only, so the
// eager suites skip it and its own jitted suites (packages/onnx) run instead. Prints which backends ran (with test
// counts) and which were skipped and why; fails when a requested backend cannot run here.
//
//   npm run test:backends
//   MMX_BACKENDS=cpu,wasm,webgpu,onnx npm run test:backends   # CI, after `bash .ci/setup-webgpu.sh`
//   MMX_PROPERTY_RUNS=50 MMX_PROPERTY_RUNS_WEBGPU=10 ...       # fast-check runs (webgpu defaults to half)
//
// Mesa's shader cache goes to .cache/mesa-shader-cache in the repository unless MESA_SHADER_CACHE_DIR is set:
// compiling WGSL to lavapipe's LLVM is most of a cold webgpu run, and CI can keep that directory.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const tmp = mkdtempSync(join(tmpdir(), "mmx-matrix-"));
const planFile = join(tmp, "plan.json");
const reportFile = join(tmp, "report.json");

const env = { ...process.env, MMX_PLAN_FILE: planFile };
if (!env.MESA_SHADER_CACHE_DIR) {
  env.MESA_SHADER_CACHE_DIR = join(root, ".cache", "mesa-shader-cache");
  mkdirSync(env.MESA_SHADER_CACHE_DIR, { recursive: true });
}

const started = Date.now();
const vitest = spawnSync(
  process.execPath,
  [
    join(root, "node_modules", "vitest", "vitest.mjs"),
    "run",
    "--config",
    join(root, "scripts", "backends.vitest.config.ts"),
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${reportFile}`,
    ...process.argv.slice(2),
  ],
  { cwd: root, env, stdio: "inherit" },
);
const seconds = ((Date.now() - started) / 1000).toFixed(1);

const readJson = (file) => {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return null;
  }
};
const plan = readJson(planFile);
const report = readJson(reportFile);
rmSync(tmp, { recursive: true, force: true });

const lines = [`== cross-backend matrix (${process.env.MMX_BACKENDS ? `MMX_BACKENDS=${process.env.MMX_BACKENDS}` : "MMX_BACKENDS unset: cpu,wasm"}), ${seconds} s`];
if (!plan) {
  lines.push("  no backend plan was made (the run failed before its global setup finished)");
} else if (plan.error) {
  lines.push(`  FAILED before any test: ${plan.error}`);
} else {
  // Suites name their backend first: "webgpu: mixup invariants", "cpu+wasm+webgpu: 9. same key ...".
  const counts = new Map();
  for (const file of report?.testResults ?? []) {
    for (const t of file.assertionResults ?? []) {
      const suite = t.ancestorTitles?.[0] ?? "";
      const m = /^([a-z0-9+]+):/.exec(suite);
      const key = m ? m[1] : "backend-independent";
      const c = counts.get(key) ?? { passed: 0, failed: 0, skipped: 0 };
      if (t.status === "passed") c.passed++;
      else if (t.status === "failed") c.failed++;
      else c.skipped++;
      counts.set(key, c);
    }
  }
  const fmt = (c) => `${c.passed} passed, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ""}`;
  for (const name of plan.run) lines.push(`  ran      ${name.padEnd(10)} ${fmt(counts.get(name) ?? { passed: 0, failed: 0, skipped: 0 })}`);
  for (const [key, c] of counts) if (!plan.run.includes(key) && key !== "backend-independent" && (c.passed || c.failed)) lines.push(`  ran      ${key.padEnd(10)} ${fmt(c)}`);
  if (counts.has("backend-independent")) lines.push(`  ran      ${"(any)".padEnd(10)} ${fmt(counts.get("backend-independent"))}`);
  for (const s of plan.skipped) lines.push(`  skipped  ${s.name.padEnd(10)} ${s.reason}`);
  if (!report) lines.push("  (no test report: vitest did not finish)");
}
console.log(`\n${lines.join("\n")}`);
process.exit(vitest.status ?? 1);
